package userpool

import "time"

// The risk score of a sign-in whose password was right: a sum of fixed weights, each for a
// signal that differs from the user's earlier successful sign-ins (auth_events.go keeps the
// newest 20 devices, addresses and countries of those). A kind of signal counts only when it
// is known for this sign-in and at least one earlier sign-in had it known too: a first
// sign-in, or the first one with a country, has nothing to differ from.
//
//	signal                                               weight
//	new device (DEVICE_KEY / EncodedData device / User-Agent)   2
//	new IP address                                              1
//	new country                                                 2
//	>= 3 wrong passwords for the user in the last 15 minutes    1
//	>= 10 wrong passwords for the user in the last 15 minutes   2 (instead of 1)
//
//	score 0: no risk (NoRisk); 1: Low; 2-3: Medium; 4 or more: High.
//
// So a new address alone is Low, a new device (or a new device and a new address) Medium, a
// new device from a new country High. The rules are poolgate's [est]: Cognito's model is not
// published.
const (
	weightNewDevice   = 2
	weightNewIP       = 1
	weightNewCountry  = 2
	failureWindow     = 15 * time.Minute
	someFailures      = 3
	manyFailures      = 10
	weightSomeFailure = 1
	weightManyFailure = 2
)

// Risk levels as Cognito names them.
const (
	riskLow    = "Low"
	riskMedium = "Medium"
	riskHigh   = "High"
)

// riskScore is a sign-in's score and the signals that made it.
type riskScore struct {
	Score   int
	Level   string // "" for no risk
	Signals []string
}

// scoreSignIn scores a sign-in with signals sig against history h at now.
func scoreSignIn(h *authHistory, sig *signInSignals, now time.Time) riskScore {
	var r riskScore
	add := func(w int, name string) {
		r.Score += w
		r.Signals = append(r.Signals, name)
	}
	isNew := func(v string, known []string) bool { return v != "" && len(known) > 0 && !contains(known, v) }
	if isNew(sig.Device, h.Devices) {
		add(weightNewDevice, "new device")
	}
	if isNew(sig.IP, h.IPs) {
		add(weightNewIP, "new IP address")
	}
	if isNew(sig.Country, h.Countries) {
		add(weightNewCountry, "new country")
	}
	failures := 0
	for _, ev := range h.Events {
		if ev.Type == eventSignIn && ev.Response == responseFail && now.Sub(ev.Created) < failureWindow {
			failures++
		}
	}
	switch {
	case failures >= manyFailures:
		add(weightManyFailure, "many recent failed sign-ins")
	case failures >= someFailures:
		add(weightSomeFailure, "recent failed sign-ins")
	}
	r.Level = riskLevel(r.Score)
	return r
}

// riskLevel maps a score to its level.
func riskLevel(score int) string {
	switch {
	case score <= 0:
		return ""
	case score == 1:
		return riskLow
	case score <= 3:
		return riskMedium
	}
	return riskHigh
}
