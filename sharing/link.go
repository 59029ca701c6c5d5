package sharing

// Detail levels of a public calendar link.
const (
	// TierFull publishes events as stored, without alarms.
	TierFull = "full"
	// TierLimited publishes title, time and location: no description,
	// attendees, organizer, attachments, alarms or anything else.
	TierLimited = "limited"
	// TierBusy publishes every event as "Busy" with its times only.
	TierBusy = "busy"
)

// Tiers lists the tiers in order of detail.
var Tiers = []string{TierFull, TierLimited, TierBusy}
