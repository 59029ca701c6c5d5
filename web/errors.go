package web

import (
	"errors"

	"almanac/internal/api"
)

func asAPIError(err error) *api.Error {
	var e *api.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
