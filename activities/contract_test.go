package activities_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"dsr/activities"
	"dsr/activities/contract"
)

// TestContractImplemented checks that every activity the workflows call by name is a
// method of Activities with the contract's input and result, and that Activities offers no
// activity the contract does not declare (a worker registers every exported method).
func TestContractImplemented(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[*activities.Activities]()
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	declared := map[string]bool{}
	for _, d := range contract.All {
		name := contract.NameOf(d)
		require.False(t, declared[name], "%s is declared twice", name)
		declared[name] = true
		m, ok := typ.MethodByName(name)
		require.True(t, ok, "Activities has no method %s", name)
		in, out := d.Types()
		wantIn := []reflect.Type{typ, ctxType}
		if in != nil {
			wantIn = append(wantIn, in)
		}
		wantOut := []reflect.Type{errType}
		if out != nil {
			wantOut = []reflect.Type{out, errType}
		}
		var gotIn, gotOut []reflect.Type
		for i := range m.Type.NumIn() {
			gotIn = append(gotIn, m.Type.In(i))
		}
		for i := range m.Type.NumOut() {
			gotOut = append(gotOut, m.Type.Out(i))
		}
		require.Equal(t, wantIn, gotIn, "input of %s", name)
		require.Equal(t, wantOut, gotOut, "result of %s", name)
	}
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		require.True(t, declared[name], "Activities.%s is an activity the contract does not declare", name)
	}
}
