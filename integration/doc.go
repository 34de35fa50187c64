// Package integration holds mantle's end-to-end tests: each starts mantle
// in-process on a loopback port and drives it with aws-sdk-go-v2, the client
// users have.
package integration
