package awsjson

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
)

// EpochTime is a timestamp on the wire: a JSON number of epoch seconds, fractional allowed
// (spec §1.2). Strings break the JS and Go SDKs, so it never marshals as one. It marshals
// with millisecond precision, whole seconds without a fraction.
type EpochTime time.Time

// Epoch converts t for the wire.
func Epoch(t time.Time) EpochTime { return EpochTime(t) }

// Time returns the value as a time.Time.
func (e EpochTime) Time() time.Time { return time.Time(e) }

func (e EpochTime) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

// maxEpoch bounds accepted timestamps (year 5138); it also keeps the arithmetic exact.
const maxEpoch = 1e11

// UnmarshalJSON accepts a JSON number of epoch seconds (0 <= n < 1e11). The fraction of a
// plain decimal is read exactly to the nanosecond, so 1795379937.123 round-trips; exponent
// forms go through float64. JSON null leaves the value unchanged.
func (e *EpochTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	bad := &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[EpochTime]()}
	if sec, nsec, ok := parseDecimal(b); ok {
		if sec >= maxEpoch {
			return bad
		}
		*e = EpochTime(time.Unix(sec, nsec).UTC())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[EpochTime]()}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f >= maxEpoch {
		return bad
	}
	sec, frac := math.Modf(f)
	*e = EpochTime(time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC())
	return nil
}

// parseDecimal reads digits[.digits] (at most 9 fraction digits are kept).
func parseDecimal(b []byte) (sec, nsec int64, ok bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if sec > maxEpoch {
			return 0, 0, false
		}
		sec = sec*10 + int64(b[i]-'0')
		i++
	}
	if i == 0 || (b[0] == '0' && i > 1) {
		return 0, 0, false
	}
	if i == len(b) {
		return sec, 0, true
	}
	if b[i] != '.' || i+1 == len(b) {
		return 0, 0, false
	}
	i++
	scale := int64(1e8)
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, 0, false
		}
		nsec += int64(b[i]-'0') * scale
		scale /= 10
	}
	return sec, nsec, true
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return string(b)
}
