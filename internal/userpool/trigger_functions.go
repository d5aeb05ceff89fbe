package userpool

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/trigger"
)

// functionsKey holds the configuration file's Functions: one record, so that a file's table
// replaces the last one in one write and an invocation finds its function in one read.
// It is in the global shard (store.Shard: "fn" is not a pool-scoped kind).
const functionsKey = "fn/table"

// MaxFunctions bounds the Functions of a configuration file.
const MaxFunctions = 200

// functionTable is the stored record: ARN → where it runs.
type functionTable struct {
	Functions map[string]trigger.Function `json:"Functions"`
}

// applyFunctions replaces the stored function table with fns (the configuration file's
// Functions section; nil when the file has none, which leaves the table as it is).
func (s *Service) applyFunctions(ctx context.Context, fns []trigger.Function, out *Applied) error {
	if fns == nil {
		return nil
	}
	if len(fns) > MaxFunctions {
		return fmt.Errorf("userpool: config: %d Functions, at most %d", len(fns), MaxFunctions)
	}
	table := functionTable{Functions: make(map[string]trigger.Function, len(fns))}
	for i, f := range fns {
		if err := f.Check(); err != nil {
			return fmt.Errorf("userpool: config: Functions[%d]: %w", i, err)
		}
		if _, dup := table.Functions[f.Arn]; dup {
			return fmt.Errorf("userpool: config: function %s is declared twice", f.Arn)
		}
		table.Functions[f.Arn] = f
	}
	var old functionTable
	if err := s.getJSON(ctx, functionsKey, &old); err != nil && !isNotFound(err) {
		return err
	}
	for _, f := range fns {
		prev, had := old.Functions[f.Arn]
		switch {
		case !had:
			out.Functions.add(created, f.Arn)
		case prev != f:
			out.Functions.add(updated, f.Arn)
		default:
			out.Functions.add(unchanged, f.Arn)
		}
	}
	b, err := json.Marshal(table)
	if err != nil {
		return fmt.Errorf("userpool: encode functions: %w", err)
	}
	return s.d.Store.Put(ctx, functionsKey, b, store.PutOptions{})
}

// function returns where arn runs; ok false when no configuration file named it.
func (s *Service) function(ctx context.Context, arn string) (trigger.Function, bool, error) {
	var t functionTable
	if err := s.getJSON(ctx, functionsKey, &t); err != nil {
		if isNotFound(err) {
			return trigger.Function{}, false, nil
		}
		return trigger.Function{}, false, err
	}
	f, ok := t.Functions[arn]
	return f, ok, nil
}
