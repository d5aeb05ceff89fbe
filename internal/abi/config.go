package abi

import (
	"encoding/json"
	"fmt"
)

// RuntimeConfigData is what the runtime_config import returns, as JSON. It carries the
// host-supplied settings and secrets the guest needs to build its service; the declarative
// pool configuration travels separately through poolgate_apply.
type RuntimeConfigData struct {
	Region     string `json:"region"`
	IssuerBase string `json:"issuerBase"`
	// ManagedLoginBase is the origin of the managed-login pages and OAuth endpoints when it is
	// not IssuerBase (hostsim's HTTPS listener); "" → IssuerBase.
	ManagedLoginBase     string `json:"managedLoginBase,omitempty"`
	AccountID            string `json:"accountId"`
	AdminAccessKeyID     string `json:"adminAccessKeyId"`
	AdminSecretAccessKey string `json:"adminSecretAccessKey"`
	MasterKey            []byte `json:"masterKey"` // base64 in JSON; 32 bytes
	// PureCrypto makes the guest use its own pure-Go crypto instead of the host's crypto imports
	// (for comparing the two, and for hosts without native primitives).
	PureCrypto bool `json:"pureCrypto"`
	// TriggerSecret signs trigger invocations; "" → derived from MasterKey (internal/trigger).
	TriggerSecret string `json:"triggerSecret,omitempty"`
}

// EncodeRuntimeConfig encodes c as JSON.
func EncodeRuntimeConfig(c *RuntimeConfigData) []byte {
	b, err := json.Marshal(c)
	if err != nil {
		// Only strings, a byte slice and a bool: Marshal cannot fail.
		panic(fmt.Sprintf("abi: encode runtime config: %v", err))
	}
	return b
}

// DecodeRuntimeConfig decodes the JSON form of a RuntimeConfigData.
func DecodeRuntimeConfig(b []byte) (*RuntimeConfigData, error) {
	var c RuntimeConfigData
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("abi: runtime config: %w", err)
	}
	return &c, nil
}
