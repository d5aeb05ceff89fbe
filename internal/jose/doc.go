// Package jose reads JSON Web Tokens for every part of poolgate: strict compact-JWS parsing,
// JWKS parsing and key sets (static, or fetched and cached with a penalty box), algorithm
// allow-lists, signature checks through the host's crypto, and the exp/nbf/iat checks.
package jose
