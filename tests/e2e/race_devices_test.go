package e2e

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// deviceRacers race on one device per round.
const deviceRacers = 21

// scnRaceDevice: 21 calls on one new device at once, several rounds: ConfirmDevice,
// UpdateDeviceStatus and ForgetDevice, seven of each. One end state is consistent with the
// answers: exactly one confirmation (a device is confirmed once; the others are refused, or
// find it forgotten), at most one forgetting, the device present exactly when no forgetting
// won, and every other answer a Cognito error, never a lost or torn write.
func scnRaceDevice(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		in.DeviceConfiguration = &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true}
	}, nil)
	const pw = "Passw0rd-race"
	f.createUser(t, "devracer", pw)
	pub := ep.Public()
	var badRounds, confirmed, forgotten int
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		res := f.tokens(t, "devracer", pw)
		dev := newE2EDevice(t, res.NewDeviceMetadata)
		key := aws.String(dev.key)
		_, errs := raceOn(t, ep, deviceRacers, func(i int) (any, error) {
			switch i % 3 {
			case 0:
				return pub.ConfirmDevice(c, &cip.ConfirmDeviceInput{AccessToken: res.AccessToken, DeviceKey: key, DeviceSecretVerifierConfig: dev.config()})
			case 1:
				status := types.DeviceRememberedStatusTypeRemembered
				if i%2 == 0 {
					status = types.DeviceRememberedStatusTypeNotRemembered
				}
				return pub.UpdateDeviceStatus(c, &cip.UpdateDeviceStatusInput{AccessToken: res.AccessToken, DeviceKey: key, DeviceRememberedStatus: status})
			default:
				return pub.ForgetDevice(c, &cip.ForgetDeviceInput{AccessToken: res.AccessToken, DeviceKey: key})
			}
		})
		per := [3]tally{{}, {}, {}}
		for i, err := range errs {
			per[i%3][outcome(err)]++
		}
		_, getErr := pub.GetDevice(c, &cip.GetDeviceInput{AccessToken: res.AccessToken, DeviceKey: key})
		present := getErr == nil
		if !present {
			wantErr(t, getErr, "ResourceNotFoundException", "Device does not exist.")
		}
		confirmed += per[0]["200"]
		forgotten += per[2]["200"]
		odd := func(c tally, allowed ...string) bool {
			n := 0
			for _, k := range allowed {
				n += c[k]
			}
			return n != deviceRacers/3
		}
		if per[0]["200"] != 1 || per[2]["200"] > 1 || present != (per[2]["200"] == 0) ||
			odd(per[0], "200", "InvalidParameterException", "ResourceNotFoundException") ||
			odd(per[1], "200", "ResourceNotFoundException") || odd(per[2], "200", "ResourceNotFoundException") {
			badRounds++
			t.Errorf("round %d: confirm %s; update %s; forget %s; device present %v", r, per[0], per[1], per[2], present)
		}
	}
	t.Logf("RESULT device: %d rounds of %d calls, %d confirmations, %d forgettings, %d bad rounds", raceRounds, deviceRacers, confirmed, forgotten, badRounds)
}
