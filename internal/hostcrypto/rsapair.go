package hostcrypto

// RSAPairSigner is implemented by providers that make two RSA signatures at once, side by side
// where the host has a core to spare: a sign-in signs its access and ID tokens together, and
// each RSA-2048 signature is most of a millisecond of CPU. The signatures are the ones SignRSA
// makes (RSASSA-PKCS1-v1_5 is deterministic).
type RSAPairSigner interface {
	SignRSAPair(privA, digestA, privB, digestB []byte) (sigA, sigB []byte, err error)
}

// SignRSAPair signs digestA with privA and digestB with privB: at once when p is an
// RSAPairSigner, else one after the other.
func SignRSAPair(p Provider, privA, digestA, privB, digestB []byte) (sigA, sigB []byte, err error) {
	if ps, ok := p.(RSAPairSigner); ok {
		return ps.SignRSAPair(privA, digestA, privB, digestB)
	}
	if sigA, err = p.SignRSA(privA, digestA); err != nil {
		return nil, nil, err
	}
	if sigB, err = p.SignRSA(privB, digestB); err != nil {
		return nil, nil, err
	}
	return sigA, sigB, nil
}

var _ RSAPairSigner = Pure{}

// SignRSAPair makes B's signature on another goroutine while it makes A's.
func (p Pure) SignRSAPair(privA, digestA, privB, digestB []byte) (sigA, sigB []byte, err error) {
	done := make(chan struct{})
	var errB error
	go func() {
		defer close(done)
		sigB, errB = p.SignRSA(privB, digestB)
	}()
	sigA, err = p.SignRSA(privA, digestA)
	<-done
	if err != nil {
		return nil, nil, err
	}
	if errB != nil {
		return nil, nil, errB
	}
	return sigA, sigB, nil
}
