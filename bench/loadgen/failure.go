package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/bound"
)

// A system that fails does not end the run: a preparation that fails, or a server that dies,
// is recorded on its measurement (Failed, shown as "failed: <reason>" with a note) and the
// other systems and operations go on. A server that no longer answers is restarted on its
// data directory for the next operation; one that cannot be restarted (or that loadgen did not
// start) is down for the rest of the run: its remaining measurements are recorded as failed,
// and the gateway, identity and OAuth groups leave it out (report.Down says why). A step outside
// the API groups that fails (the gateway, identity or OAuth group, the start-up measurements,
// the bundle's size) stops there with a note (report.Notes), and the report is still written.

// reasonBytes bounds a failure's reason in the report.
const reasonBytes = 200

// reason is err's first line, bounded, without "|" (a table cell's end): a report cell and
// note, not a log.
func reason(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return bound.String(strings.ReplaceAll(strings.TrimSpace(s), "|", "/"), reasonBytes)
}

// answers reports whether the server still serves HTTP (any response counts).
func (s *system) answers(ctx context.Context) bool {
	if s.cmd != nil {
		select {
		case <-s.exited:
			return false
		default:
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// recover makes a system that failed a measurement usable for the next one: nothing to do
// when its server still answers; else a restart (a server loadgen started, on the same data
// directory, so its pools survive where its store does); else the system is down for the rest
// of the run. It logs what it did.
func (g *gen) recover(ctx context.Context, s *system) {
	if ctx.Err() != nil || s.answers(ctx) {
		return
	}
	if !s.processBacked() {
		g.markDown(s, "stopped answering (started elsewhere, so not restarted)")
		return
	}
	g.logf("%s stopped answering: restarting it%s", s.name, s.diagnose())
	s.stop()
	if _, err := s.start(ctx); err != nil {
		g.markDown(s, "stopped answering and did not restart: "+reason(err))
		return
	}
	g.logf("%s restarted at %s", s.name, s.url)
}

// markDown takes s out of the rest of the run.
func (g *gen) markDown(s *system, why string) {
	s.down = bound.String(strings.ReplaceAll(why, "|", "/"), reasonBytes)
	g.rep.Down = append(g.rep.Down, downSystem{System: s.name, Reason: s.down})
	g.logf("%s is down for the rest of the run: %s", s.name, s.down)
}

// stepFailed records that a step of the run outside the API groups (a group of its own, the
// start-up measurements, the bundle's size) failed, so that the report is still written;
// it returns the context's error when the run was interrupted.
func (g *gen) stepFailed(step string, err error) error {
	if interrupted(err) {
		return err
	}
	note := fmt.Sprintf("%s failed and stopped there: %s", step, reason(err))
	g.rep.Notes = append(g.rep.Notes, note)
	g.logf("%s\n%v", note, err)
	return nil
}

// interrupted reports whether err is the run's interruption (a canceled or expired context).
func interrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fail records that measurement m could not be made, and why.
func (g *gen) fail(m *measurement, err error) {
	m.Failed = reason(err)
	g.logf("%s %-20s %-14s c=%d failed: %s", m.Group, m.Op, m.System, m.Clients, m.Failed)
}

// downSystem is a system taken out of the run, and why.
type downSystem struct {
	System string `json:"system"`
	Reason string `json:"reason"`
}

// failedCell is a failed measurement's cell in the report.
func failedCell(m *measurement) string { return "failed: " + m.Failed }

// downNotes are the report's notes on the systems that went down and the steps that failed.
func (r *report) downNotes() []string {
	notes := append([]string(nil), r.Notes...)
	for _, d := range r.Down {
		notes = append(notes, fmt.Sprintf("%s went down during the run and was left out from then on: %s", r.label(d.System), d.Reason))
	}
	return notes
}
