package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/srp"
	"github.com/poolgate/poolgate/internal/store"
)

// Device SRP (spec §3.7): a remembered device proves it holds the random password it made
// its verifier from, in place of the second factor. The exchange is user SRP's (challenge_srp.go)
// with the device group key where the pool name stands and the device key where the userId
// stands:
//
//  1. a sign-in whose first factor passed names a remembered device (DEVICE_KEY) of a pool
//     with ChallengeRequiredOnNewDevice, and would otherwise meet a second factor: the answer
//     is DEVICE_SRP_AUTH with a Session (an MFA Session, mfa_session.go, whose Choices hold
//     the device key);
//  2. RespondToAuthChallenge DEVICE_SRP_AUTH {USERNAME, DEVICE_KEY, SRP_A}: the answer is
//     DEVICE_PASSWORD_VERIFIER {SRP_B, SALT, SECRET_BLOCK} with the same Session; the block
//     seals A, b, B, the device and the Session it belongs to (not the verifier, which
//     stays in the device's record);
//  3. RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER {USERNAME, DEVICE_KEY,
//     PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP, PASSWORD_CLAIM_SIGNATURE}: one transaction
//     checks the second-factor lockout, spends the block (srpu/, right or wrong) and, when
//     the signature is right, the Session (mfau/) and records the sign-in on the device;
//     a wrong one is "Incorrect username or password." and counts toward the user's
//     second-factor lockout (lk/<pool>/m<sub>), as a wrong code would.
//
// [est] Cognito asks DEVICE_SRP_AUTH only where MFA would be asked; a known device of a
// sign-in that needs no second factor gets tokens straight away (bound to the device).
const purposeDeviceSRP = "device-srp"

// deviceSRPChallenge is the DEVICE_SRP_AUTH step's name, as the Session records it.
const deviceSRPChallenge = "DEVICE_SRP_AUTH"

// deviceSRPState is what a DEVICE_PASSWORD_VERIFIER SECRET_BLOCK seals.
type deviceSRPState struct {
	Pool    string `json:"p"`
	Client  string `json:"c"`
	Sub     string `json:"s"`
	Device  string `json:"d"`
	Group   string `json:"g"`
	Session []byte `json:"sn"` // the nonce of the Session it continues
	A       []byte `json:"A"`
	B       []byte `json:"B"`
	Secret  []byte `json:"b"`
	Nonce   []byte `json:"n"`
}

// deviceInsteadOfSecondFactor answers DEVICE_SRP_AUTH when u's sign-in names a remembered
// device that may stand in for the second factor it would meet; nil, nil otherwise (and for
// no device). A device key u does not have is deviceNotFound.
func (s *Service) deviceInsteadOfSecondFactor(ctx context.Context, p *Pool, c *Client, u *User) (*InitiateAuthOutput, error) {
	d, err := s.knownSignInDevice(ctx, p, u)
	if err != nil || d == nil || !d.Remembered || !p.devicesSkipMfa() {
		return nil, err
	}
	step, _, err := planSecondFactor(p, u)
	if err != nil || step == "" {
		// No second factor, or none u can give: secondFactor answers as without a device.
		return nil, nil
	}
	lock, _, err := s.loadLock(ctx, mfaLockKey(p, u))
	if err != nil {
		return nil, err
	}
	if err := s.checkLockout(lock); err != nil {
		return nil, err
	}
	session, err := s.newMfaSession(p, c, u, deviceSRPChallenge, setupStart, []string{d.Key})
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{ChallengeName: deviceSRPChallenge, Session: session,
		ChallengeParameters: map[string]string{"USER_ID_FOR_SRP": u.Username, "USERNAME": u.Username, "DEVICE_KEY": d.Key}}, nil
}

// openDeviceSession opens a DEVICE_SRP_AUTH Session, checks the answer names its user and
// device, and loads the device, which must still be remembered.
func (s *Service) openDeviceSession(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*User, *mfaSession, *deviceRecord, error) {
	u, st, err := s.openMfaSession(ctx, p, c, session, deviceSRPChallenge, setupStart)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkAnswerUser(p, c, u, resp); err != nil {
		return nil, nil, nil, err
	}
	key := resp["DEVICE_KEY"]
	if key == "" {
		return nil, nil, nil, awsjson.InvalidParameter("Missing required parameter DEVICE_KEY")
	}
	if len(st.Choices) != 1 || st.Choices[0] != key {
		return nil, nil, nil, deviceNotFound()
	}
	d, err := s.confirmedDevice(ctx, p, u, key)
	if err != nil {
		return nil, nil, nil, err
	}
	if !d.Remembered {
		return nil, nil, nil, sessionExpired()
	}
	return u, st, d, nil
}

// answerDeviceSRP answers DEVICE_SRP_AUTH {USERNAME, DEVICE_KEY, SRP_A} with
// DEVICE_PASSWORD_VERIFIER.
func (s *Service) answerDeviceSRP(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	aHex := resp["SRP_A"]
	if aHex == "" {
		return nil, awsjson.InvalidParameter("Missing required parameter SRP_A")
	}
	if !validHex(aHex) {
		return nil, awsjson.InvalidParameter("SRP_A is not a hexadecimal number.")
	}
	A, err := srp.ValidateA(aHex)
	if err != nil {
		return nil, awsjson.IncorrectCredentials()
	}
	u, st, d, err := s.openDeviceSession(ctx, p, c, session, resp)
	if err != nil {
		return nil, err
	}
	v, err := s.openDeviceVerifier(d)
	if err != nil {
		return nil, err
	}
	b, B, err := srp.NewServerSession(s.d.Crypto, s.d.Rand, v.Verifier)
	if err != nil {
		return nil, fmt.Errorf("userpool: device srp session: %w", err)
	}
	nonce := make([]byte, 16)
	if _, err := io.ReadFull(s.d.Rand, nonce); err != nil {
		return nil, fmt.Errorf("userpool: random: %w", err)
	}
	plain, err := json.Marshal(&deviceSRPState{Pool: p.Id, Client: c.ClientId, Sub: u.Sub, Device: d.Key, Group: d.GroupKey,
		Session: st.Nonce, A: A, B: B, Secret: b, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	block, err := s.d.Seal.Seal(purposeDeviceSRP, plain, s.now().Add(srpBlockTTL))
	if err != nil {
		return nil, err
	}
	return &InitiateAuthOutput{
		ChallengeName: "DEVICE_PASSWORD_VERIFIER",
		Session:       session,
		ChallengeParameters: map[string]string{
			"SALT":         srp.SaltHex(v.Salt),
			"SRP_B":        srp.BHex(B),
			"SECRET_BLOCK": base64.StdEncoding.EncodeToString(block),
			"USERNAME":     u.Username,
			"DEVICE_KEY":   d.Key,
		},
	}, nil
}

// answerDevicePasswordVerifier checks the device's proof and ends the sign-in with tokens.
func (s *Service) answerDevicePasswordVerifier(ctx context.Context, p *Pool, c *Client, session string, resp map[string]string) (*InitiateAuthOutput, error) {
	for _, k := range []string{"USERNAME", "DEVICE_KEY", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP", "PASSWORD_CLAIM_SIGNATURE"} {
		if resp[k] == "" {
			return nil, awsjson.InvalidParameter("Missing required parameter %s", k)
		}
	}
	u, st, d, err := s.openDeviceSession(ctx, p, c, session, resp)
	if err != nil {
		return nil, err
	}
	var bs deviceSRPState
	block, err := s.unseal(purposeDeviceSRP, base64.StdEncoding, resp["PASSWORD_CLAIM_SECRET_BLOCK"], &bs)
	if errors.Is(err, errBadSeal) {
		return nil, awsjson.IncorrectCredentials()
	} else if err != nil {
		return nil, err
	}
	if bs.Pool != p.Id || bs.Client != c.ClientId || bs.Sub != u.Sub || bs.Device != d.Key || string(bs.Session) != string(st.Nonce) {
		return nil, awsjson.IncorrectCredentials()
	}
	// The verifier stays in the device's record (sealed at rest); B was made from it, and a
	// device is confirmed once, so it is the same one.
	v, err := s.openDeviceVerifier(d)
	if err != nil {
		return nil, err
	}
	ok := false
	if ts, err := srp.ParseTimestamp(resp["TIMESTAMP"]); err == nil {
		if skew := ts.Sub(s.now()); skew <= srpTimestampSkew && skew >= -srpTimestampSkew {
			ok, err = srp.VerifySignature(s.d.Crypto, bs.A, bs.B, bs.Secret, v.Verifier, bs.Group, bs.Device,
				block, resp["TIMESTAMP"], resp["PASSWORD_CLAIM_SIGNATURE"])
			if err != nil {
				// Only a degenerate u = H(A‖B) = 0 gets here: a failed proof, not a fault.
				s.d.Logf("userpool: device srp signature for %s/%s: %v", p.Id, d.Key, err)
				ok = false
			}
		}
	}
	lk := mfaLockKey(p, u)
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		lock, lv, err := ts.loadLock(ctx, lk)
		if err != nil {
			return err
		}
		if err := ts.checkLockout(lock); err != nil {
			return err
		}
		// The block is good for one answer, right or wrong.
		if err := ts.markOnce(ctx, srpUsedKey(p.Id, block), srpBlockTTL, awsjson.IncorrectCredentials()); err != nil {
			return err
		}
		if _, err := ts.d.Store.Get(ctx, spentSessionKey(p.Id, st.Nonce)); err == nil {
			return sessionExpired()
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !ok {
			if err := ts.countFailure(ctx, lk, lock); err != nil {
				return err
			}
			return failAfterCommit(awsjson.IncorrectCredentials())
		}
		cur, err := ts.confirmedDevice(ctx, p, u, d.Key)
		if err != nil {
			return err
		}
		if !cur.Remembered {
			return sessionExpired()
		}
		cur.LastAuth = ts.now().UnixNano()
		if err := ts.putDevice(ctx, p, cur); err != nil {
			return err
		}
		if lv != store.NoVersion {
			if err := ts.d.Store.Delete(ctx, lk); err != nil {
				return err
			}
		}
		return ts.spendSession(ctx, p, c, st.Nonce)
	})
	if err != nil {
		return nil, err
	}
	if err := s.secondFactorPassed(ctx, p, u); err != nil {
		return nil, err
	}
	// PreTokenGeneration sees a device sign-in as Cognito names it.
	return s.signInDone(withTokenSource(ctx, "TokenGeneration_AuthenticateDevice"), p, c, u)
}
