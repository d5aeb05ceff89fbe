package sdk

import (
	"errors"
	"fmt"
	"strings"

	"rsc.io/qr/coding"
)

// maxQRText bounds what QRCodeSVG encodes: an otpauth:// URI is well under it, and a QR code
// holds at most 2,953 bytes at level L.
const maxQRText = 1024

// QRCodeSVG draws text (an otpauth:// URI) as a QR code in an SVG document, on the page,
// with no outside service: rsc.io/qr's coding package encodes it (error correction level M)
// and each horizontal run of dark modules becomes one rectangle of a single path, with the quiet zone of four modules the
// standard asks for. The SVG is a square viewBox the page scales with CSS; its shapes come
// only from the code's modules, never from text, so it can be inserted as markup.
func QRCodeSVG(text string) (string, error) {
	if text == "" || len(text) > maxQRText {
		return "", invalidParameter("The text to draw as a QR code must have 1 to %d bytes.", maxQRText)
	}
	code, err := encodeQR(text)
	if err != nil {
		return "", invalidParameter("The text cannot be drawn as a QR code: %v", err)
	}
	const quiet = 4
	size := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, size, size)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, size, size)
	for y := range code.Size {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			// One horizontal run of dark modules is one rectangle.
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}

// encodeQR is rsc.io/qr's Encode at level M without that package, which also links image,
// image/color and a PNG writer the SDK does not need (−18 KB gzip of wasm): the densest
// encoding the text allows, in the smallest version it fits.
func encodeQR(text string) (*coding.Code, error) {
	var enc coding.Encoding = coding.String(text)
	switch {
	case coding.Num(text).Check() == nil:
		enc = coding.Num(text)
	case coding.Alpha(text).Check() == nil:
		enc = coding.Alpha(text)
	}
	for v := coding.Version(coding.MinVersion); v <= coding.MaxVersion; v++ {
		if enc.Bits(v) > v.DataBytes(coding.M)*8 {
			continue
		}
		plan, err := coding.NewPlan(v, coding.M, 0)
		if err != nil {
			return nil, err
		}
		return plan.Encode(enc)
	}
	return nil, errors.New("text too long to encode as QR")
}
