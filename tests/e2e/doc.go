// Package e2e holds poolgate's end-to-end tests: the wasm guest built by the tests, run under
// hostsim, and driven over HTTP by real clients (AWS SDK Go v2, amazon-cognito-identity-js,
// aws-jwt-verify) and by raw requests.
package e2e
