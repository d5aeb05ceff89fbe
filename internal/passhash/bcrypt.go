package passhash

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

type bcryptHash struct{ h []byte }

// bcrypt's cost bounds: 4 is the format's least; 15 already takes seconds under wasm.
const maxBcryptCost = 15

func parseBcrypt(s string) (Hash, error) {
	h := []byte(s)
	if len(h) > 3 && h[2] == 'y' {
		// $2y$ (PHP) is the same algorithm as $2b$; x/crypto reads the latter.
		h[2] = 'b'
	}
	cost, err := bcrypt.Cost(h)
	if err != nil {
		return nil, fmt.Errorf("%w: bcrypt: %v", ErrFormat, err)
	}
	if cost > maxBcryptCost {
		return nil, fmt.Errorf("%w: bcrypt cost %d over %d", ErrFormat, cost, maxBcryptCost)
	}
	if len(h) != 60 {
		return nil, fmt.Errorf("%w: bcrypt hash of %d bytes", ErrFormat, len(h))
	}
	return bcryptHash{h}, nil
}

func (bcryptHash) Scheme() Scheme { return Bcrypt }

// Verify uses x/crypto's comparison, which is constant-time.
func (b bcryptHash) Verify(password string) bool {
	return bcrypt.CompareHashAndPassword(b.h, []byte(password)) == nil
}
