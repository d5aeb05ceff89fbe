// Package browser drives poolgate's sign-in app (web/) in headless Chromium against hostsim:
// sign-up, confirmation with the code from the outbox, SRP sign-in computed by the wasm SDK,
// refresh, credentials, sign-out, the error paths a person meets, and the unmodified
// amazon-cognito-identity-js browser build signing in from the same page across origins.
// Screenshots of every main screen are written to build/screenshots.
package browser
