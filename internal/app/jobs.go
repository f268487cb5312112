package app

import (
	"context"
	"fmt"
)

// RunDue runs once every scheduled job that is due now, then drains the
// outbox. The testclock build calls it after moving the clock.
func (a *App) RunDue(ctx context.Context) error {
	if _, err := a.Jobs.RunOnce(ctx); err != nil {
		return fmt.Errorf("lifecycle jobs: %w", err)
	}
	if _, _, err := a.Worker.DrainOnce(ctx); err != nil {
		return fmt.Errorf("drain outbox: %w", err)
	}
	return nil
}
