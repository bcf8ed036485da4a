package workflows

import (
	"context"
	"reflect"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"dsr/activities/contract"
)

// registerContract registers a stand-in for every activity of the contract, with the
// contract's input and result, so that tests mock activities by name without the
// activities' implementation (which needs databases and mail servers). A stand-in that a
// test did not mock fails the test.
func registerContract(env *testsuite.TestWorkflowEnvironment) {
	ctxType, errType := reflect.TypeFor[context.Context](), reflect.TypeFor[error]()
	for _, d := range contract.All {
		name := contract.NameOf(d)
		in, out := d.Types()
		args := []reflect.Type{ctxType}
		if in != nil {
			args = append(args, in)
		}
		var results []reflect.Type
		if out != nil {
			results = append(results, out)
		}
		results = append(results, errType)
		fn := reflect.MakeFunc(reflect.FuncOf(args, results, false), func([]reflect.Value) []reflect.Value {
			panic("activity " + name + " was called but not mocked")
		})
		env.RegisterActivityWithOptions(fn.Interface(), activity.RegisterOptions{Name: name})
	}
}
