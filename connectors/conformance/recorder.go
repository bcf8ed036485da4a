package conformance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Recorder is a connectors.Sink that keeps everything it receives and enforces the Sink
// contract: a category is begun once, with named and distinct columns, before its rows; every
// row has one value per column; values are strings, numbers, booleans, times or nil. A
// violation is returned as an error from Begin or Row, so the connector fails its export.
type Recorder struct {
	mu         sync.Mutex
	categories []RecordedCategory
}

// RecordedCategory is one category as a Recorder received it.
type RecordedCategory struct {
	Name    string
	Columns []string
	Rows    [][]any
}

// Begin starts a category.
func (r *Recorder) Begin(category string, columns []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if category == "" {
		return errors.New("recorder: category without a name")
	}
	for _, c := range r.categories {
		if c.Name == category {
			return fmt.Errorf("recorder: category %q begun twice", category)
		}
	}
	if len(columns) == 0 {
		return fmt.Errorf("recorder: category %q has no columns", category)
	}
	for i, col := range columns {
		if col == "" {
			return fmt.Errorf("recorder: category %q: column %d has no name", category, i)
		}
		if slices.Contains(columns[:i], col) {
			return fmt.Errorf("recorder: category %q: column %q twice", category, col)
		}
	}
	r.categories = append(r.categories, RecordedCategory{Name: category, Columns: slices.Clone(columns)})
	return nil
}

// Row adds a row to the category begun last.
func (r *Recorder) Row(values ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.categories) == 0 {
		return errors.New("recorder: row before any Begin")
	}
	cur := &r.categories[len(r.categories)-1]
	if len(values) != len(cur.Columns) {
		return fmt.Errorf("recorder: category %q: row of %d values for %d columns", cur.Name, len(values), len(cur.Columns))
	}
	for i, v := range values {
		switch v.(type) {
		case nil, string, bool, time.Time,
			int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		default:
			return fmt.Errorf("recorder: category %q column %q: value of type %T is not a string, number, boolean, time or nil", cur.Name, cur.Columns[i], v)
		}
	}
	cur.Rows = append(cur.Rows, slices.Clone(values))
	return nil
}

// Categories returns the categories received, in order.
func (r *Recorder) Categories() []RecordedCategory {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.categories)
}

// Names returns the names of the categories received, in order.
func (r *Recorder) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.categories))
	for i, c := range r.categories {
		out[i] = c.Name
	}
	return out
}

// Category returns the named category.
func (r *Recorder) Category(name string) (RecordedCategory, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.categories {
		if c.Name == name {
			return c, true
		}
	}
	return RecordedCategory{}, false
}

// RowCount returns the number of rows received over all categories.
func (r *Recorder) RowCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.categories {
		n += len(c.Rows)
	}
	return n
}

// Contains reports whether some string value of some row contains s, ignoring case.
func (r *Recorder) Contains(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	needle := strings.ToLower(s)
	for _, c := range r.categories {
		for _, row := range c.Rows {
			for _, v := range row {
				if str, ok := v.(string); ok && strings.Contains(strings.ToLower(str), needle) {
					return true
				}
			}
		}
	}
	return false
}

// Value returns the value of column in row i of the named category.
func (c RecordedCategory) Value(i int, column string) (any, bool) {
	j := slices.Index(c.Columns, column)
	if j < 0 || i < 0 || i >= len(c.Rows) {
		return nil, false
	}
	return c.Rows[i][j], true
}
