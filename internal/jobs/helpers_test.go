package jobs_test

import "varco.dev/varco/internal/auth"

func authMeta() auth.Meta { return auth.Meta{IP: "192.0.2.10", Application: "webmail"} }
