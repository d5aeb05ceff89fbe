package userpool

// DeviceConfiguration is a pool's remembered-device setting (spec §13). A pool without one
// does not track devices: sign-ins hand out no NewDeviceMetadata and DEVICE_KEY is ignored.
// Cognito's two switches:
//   - ChallengeRequiredOnNewDevice: a remembered device may stand in for the second factor
//     (DEVICE_SRP_AUTH instead of SMS, email or TOTP); devices neither confirmed nor
//     remembered still meet the second factor a pool requires;
//   - DeviceOnlyRememberedOnUserPrompt: ConfirmDevice leaves the device not remembered
//     (UserConfirmationNecessary) until UpdateDeviceStatus remembers it; otherwise
//     ConfirmDevice remembers it at once.
type DeviceConfiguration struct {
	ChallengeRequiredOnNewDevice     bool `json:"ChallengeRequiredOnNewDevice"`
	DeviceOnlyRememberedOnUserPrompt bool `json:"DeviceOnlyRememberedOnUserPrompt"`
}

// tracksDevices reports whether sign-ins of p hand out and accept device keys.
func (p *Pool) tracksDevices() bool { return p.DeviceConfiguration != nil }

// devicesSkipMfa reports whether a remembered device answers for the second factor.
func (p *Pool) devicesSkipMfa() bool {
	return p.DeviceConfiguration != nil && p.DeviceConfiguration.ChallengeRequiredOnNewDevice
}

// devicesNeedPrompt reports whether a confirmed device waits for the user to remember it.
func (p *Pool) devicesNeedPrompt() bool {
	return p.DeviceConfiguration != nil && p.DeviceConfiguration.DeviceOnlyRememberedOnUserPrompt
}
