package srp

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var (
	weekdayNames = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	monthNames   = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// FormatTimestamp returns t in the TIMESTAMP format of spec §3.5,
// `EEE MMM d HH:mm:ss 'UTC' yyyy` in UTC, e.g. "Tue Jan 6 09:05:03 UTC 2026".
func FormatTimestamp(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s %s %d %02d:%02d:%02d UTC %04d",
		weekdayNames[t.Weekday()], monthNames[t.Month()-1], t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
}

// ParseTimestamp parses a TIMESTAMP strictly, as the real service does (spec §3.5): English
// weekday and month abbreviations, day of month without zero padding, two-digit hour, minute
// and second, the literal UTC, a four-digit year, single spaces, and a weekday that is right
// for the date. Anything else wraps ErrBadTimestamp. The signature is still computed over the
// string as received; this only decides whether to accept it.
func ParseTimestamp(s string) (time.Time, error) {
	fields := strings.Split(s, " ")
	if len(fields) != 6 {
		return time.Time{}, fmt.Errorf("%w: want 6 space-separated fields in %q", ErrBadTimestamp, s)
	}
	wd, month, day, clock, zone, year := fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]

	weekday := indexOf(weekdayNames[:], wd)
	if weekday < 0 {
		return time.Time{}, fmt.Errorf("%w: weekday %q", ErrBadTimestamp, wd)
	}
	m := indexOf(monthNames[:], month)
	if m < 0 {
		return time.Time{}, fmt.Errorf("%w: month %q", ErrBadTimestamp, month)
	}
	d, ok := digits(day, 1, 2)
	if !ok || day[0] == '0' {
		return time.Time{}, fmt.Errorf("%w: day %q (1 or 2 digits, no leading zero)", ErrBadTimestamp, day)
	}
	if len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, fmt.Errorf("%w: time %q (want HH:mm:ss)", ErrBadTimestamp, clock)
	}
	hh, ok1 := digits(clock[0:2], 2, 2)
	mm, ok2 := digits(clock[3:5], 2, 2)
	ss, ok3 := digits(clock[6:8], 2, 2)
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 59 {
		return time.Time{}, fmt.Errorf("%w: time %q", ErrBadTimestamp, clock)
	}
	if zone != "UTC" {
		return time.Time{}, fmt.Errorf("%w: zone %q (want UTC)", ErrBadTimestamp, zone)
	}
	y, ok := digits(year, 4, 4)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: year %q (want 4 digits)", ErrBadTimestamp, year)
	}

	t := time.Date(y, time.Month(m+1), d, hh, mm, ss, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, fmt.Errorf("%w: %s has no day %d", ErrBadTimestamp, month, d)
	}
	if int(t.Weekday()) != weekday {
		return time.Time{}, fmt.Errorf("%w: %s %d %d is a %s, not %s", ErrBadTimestamp, month, d, y, weekdayNames[t.Weekday()], wd)
	}
	return t, nil
}

func indexOf(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}

// digits parses s as a decimal of minLen to maxLen ASCII digits.
func digits(s string, minLen, maxLen int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
