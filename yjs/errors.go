package yjs

import (
	"errors"
	"io"
)

// ErrTooLarge is returned (wrapped) by [Store.Apply] when the merged state would exceed
// [Options.MaxSize]; the store is left unchanged.
var ErrTooLarge = errors.New("yjs: document too large")

// ErrPendingFull is returned (wrapped) by [Store.Apply] when the structs and deletes that
// wait for missing history would exceed [Options.MaxPending]; the store is left unchanged.
var ErrPendingFull = errors.New("yjs: too much pending state")

// ErrMalformed is returned (wrapped) for input that is not a well-formed Yjs v1 update,
// state vector or lib0 value.
var ErrMalformed = errors.New("yjs: malformed input")

// errTruncated reports input that ends in the middle of a value; it wraps both
// [ErrMalformed] and io.ErrUnexpectedEOF.
var errTruncated = &malformedError{msg: "unexpected end of input", cause: io.ErrUnexpectedEOF}

// malformedError is a decode error that matches [ErrMalformed] with errors.Is.
type malformedError struct {
	msg   string
	cause error
}

func (e *malformedError) Error() string { return "yjs: " + e.msg }

// Is makes every malformedError match ErrMalformed.
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

// Unwrap gives the underlying cause, if any.
func (e *malformedError) Unwrap() error { return e.cause }

// malformed builds a decode error with a short lower-case message.
func malformed(msg string) error { return &malformedError{msg: msg} }
