package store

import (
	"database/sql/driver"

	"github.com/lib/pq"
)

// Array is a text[] column of typed strings (rights, purposes); an empty array is stored
// as {} rather than NULL.
type Array[T ~string] []T

// Scan reads the array.
func (a *Array[T]) Scan(src any) error {
	var s pq.StringArray
	if err := s.Scan(src); err != nil {
		return err
	}
	out := make(Array[T], len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	*a = out
	return nil
}

// Value stores the array.
func (a Array[T]) Value() (driver.Value, error) {
	s := make(pq.StringArray, len(a))
	for i, v := range a {
		s[i] = string(v)
	}
	return s.Value()
}
