package geo

// WaitReload waits for a reload started by a lookup to finish.
func WaitReload(d *DB) { d.reloadWG.Wait() }
