package sdk

import (
	"fmt"
	"image"
	"image/color"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

var (
	svgViewBox = regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`)
	svgRun     = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
)

// rasterize draws QRCodeSVG's output at scale pixels a module, reading only the markup.
func rasterize(t *testing.T, svg string, scale int) image.Image {
	t.Helper()
	m := svgViewBox.FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %.80s", svg)
	}
	size, _ := strconv.Atoi(m[1])
	img := image.NewGray(image.Rect(0, 0, size*scale, size*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, r := range svgRun.FindAllStringSubmatch(svg, -1) {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	return img
}

// decodeQR reads a QR code with ZXing's decoder (gozxing): an independent scanner.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return res.GetText()
}

func TestQRCodeSVGScans(t *testing.T) {
	setup := TOTPSetup{SharedSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
	for _, text := range []string{
		setup.SetupURI("Acme staff", "ada@example.com"),
		setup.SetupURI("", "ünïcode user"),
		"otpauth://totp/x?secret=" + strings.Repeat("A", 400),
	} {
		svg, err := QRCodeSVG(text)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) || strings.Contains(svg, text) {
			t.Fatalf("svg %.120s", svg)
		}
		if got := decodeQR(t, rasterize(t, svg, 4)); got != text {
			t.Fatalf("scanned %q, want %q", got, text)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", maxQRText+1)} {
		if _, err := QRCodeSVG(bad); !HasCode(err, CodeInvalidParam) {
			t.Fatalf("QRCodeSVG(%d bytes): %v", len(bad), err)
		}
	}
}

// FuzzQRCodeSVG: any text is either drawn (an SVG of whole runs) or refused with
// InvalidParameterException, never a panic.
func FuzzQRCodeSVG(f *testing.F) {
	f.Add("otpauth://totp/Acme:ada@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme")
	f.Add("0123456789")
	f.Add("HELLO WORLD $%*+-./:")
	f.Add("\x00\xff<script>")
	f.Fuzz(func(t *testing.T, text string) {
		svg, err := QRCodeSVG(text)
		if err != nil {
			if !HasCode(err, CodeInvalidParam) {
				t.Fatalf("%q: %v", text, err)
			}
			return
		}
		if strings.ContainsAny(strings.TrimPrefix(strings.TrimSuffix(svg, `"/></svg>`), svgPrefix(svg)), "<>&'") {
			t.Fatalf("markup in the path: %.200s", svg)
		}
	})
}

// svgPrefix is svg up to the path's data.
func svgPrefix(svg string) string {
	i := strings.Index(svg, `d="`)
	if i < 0 {
		panic(fmt.Sprintf("no path in %.80s", svg))
	}
	return svg[:i+3]
}
