// Package storetest is the conformance suite for store backends: the one
// definition of how a store.Store must behave, beyond what the interfaces'
// types say. Every backend calls Run from its own tests, unchanged, so the
// IAM layer can rely on the behaviour whichever backend it runs on.
//
// A backend that cannot honour a part of the contract opts out of that
// capability with a written reason (OptOut); everything else is mandatory.
package storetest
