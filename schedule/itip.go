package schedule

import (
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-ical"

	aical "almanac/internal/ical"
)

// iTIP methods (RFC 5546 1.4) the server sends and processes.
const (
	MethodRequest        = "REQUEST"
	MethodCancel         = "CANCEL"
	MethodReply          = "REPLY"
	MethodAdd            = "ADD"
	MethodCounter        = "COUNTER"
	MethodDeclineCounter = "DECLINECOUNTER"
)

// message is one iTIP message for one recipient: its method and its
// components, ready to be written (calendar) with the object's
// timezones.
type message struct {
	method string
	comps  []*aical.Node
}

// view is what one attendee is invited to (RFC 6638 3.2.1.2 "on a
// per-instance basis"): the master when they attend it, with an EXDATE
// for each override they do not attend, and each override they attend.
type view struct {
	master    *aical.Node
	overrides map[string]*aical.Node
	order     []string             // override keys in document order
	exdates   map[string]ical.Prop // the view master's EXDATEs, by key
	src       *object
}

// viewOf returns the view of the attendee whose addresses match accepts,
// nil when they attend nothing. The nodes are copies.
func viewOf(o *object, match func(string) bool) *view {
	if o == nil {
		return nil
	}
	v := &view{overrides: map[string]*aical.Node{}, exdates: map[string]ical.Prop{}, src: o}
	m := o.master()
	if m != nil {
		if _, ok := m.find(match); ok {
			v.master = cloneNode(m.node)
			v.exdates = o.exdates(m)
		}
	}
	for _, c := range o.comps {
		if c.rid == "" {
			continue
		}
		if _, ok := c.find(match); ok {
			v.overrides[c.rid] = cloneNode(c.node)
			v.order = append(v.order, c.rid)
			continue
		}
		if v.master == nil {
			continue
		}
		// An instance the attendee is not invited to is no instance of
		// theirs.
		if _, ok := v.exdates[c.rid]; !ok {
			if i := lineIndex(c.node, propRecurrenceID); i >= 0 {
				p := exdateOf(c.node.Lines[i].Prop)
				v.master.Lines = append(v.master.Lines, aical.NewLine(p))
				v.exdates[c.rid] = p
			}
		}
	}
	if v.master == nil && len(v.order) == 0 {
		return nil
	}
	return v
}

// exdateOf turns a RECURRENCE-ID (or one EXDATE value) into an EXDATE
// line for the same instance.
func exdateOf(rid ical.Prop) ical.Prop {
	p := ical.Prop{Name: propExDate, Params: cloneParams(rid.Params), Value: rid.Value}
	delete(p.Params, paramRange)
	return p
}

// ridOf turns an EXDATE value (ridProp from object.exdates) into a
// RECURRENCE-ID line.
func ridOf(p ical.Prop) ical.Prop {
	return ical.Prop{Name: propRecurrenceID, Params: cloneParams(p.Params), Value: p.Value}
}

// comps returns the view's components, master first.
func (v *view) comps() []*aical.Node {
	var out []*aical.Node
	if v.master != nil {
		out = append(out, v.master)
	}
	for _, k := range v.order {
		out = append(out, v.overrides[k])
	}
	return out
}

// agentOf is the SCHEDULE-AGENT of the attendee's first line in o
// (master first), "" when o does not name them.
func agentOf(o *object, match func(string) bool) string {
	if o == nil {
		return ""
	}
	for _, c := range o.comps {
		if a, ok := c.find(match); ok {
			return c.agent(a.line)
		}
	}
	return ""
}

// forced reports SCHEDULE-FORCE-SEND=REQUEST on one of the attendee's
// lines (RFC 6638 7.2): send even what looks inconsequential.
func forced(o *object, match func(string) bool) bool {
	for _, c := range o.comps {
		if a, ok := c.find(match); ok && c.param(a.line, paramForceSend) == MethodRequest {
			return true
		}
	}
	return false
}

// planOrganizer decides what one attendee is sent when the organizer's
// object goes from old to new (nil: created or deleted), as RFC 6638
// 3.2.1 tables it: REQUEST to a new or changed attendee, CANCEL to one
// removed (or switched to CLIENT or NONE) and for every instance they
// lose, ADD when all that happened is new instances of theirs. A change
// that is inconsequential to them (others' replies, stamps, alarms) sends
// nothing unless SCHEDULE-FORCE-SEND asks.
func planOrganizer(old, new *object, match func(string) bool, now time.Time) []message {
	var vO, vN *view
	if agentOf(old, match) == agentServer {
		vO = viewOf(old, match)
	}
	if new != nil && agentOf(new, match) == agentServer {
		vN = viewOf(new, match)
	}
	switch {
	case vO == nil && vN == nil:
		return nil
	case vN == nil:
		seq := 0
		if m := old.master(); m != nil {
			seq = m.sequence()
		}
		if new != nil {
			if m := new.master(); m != nil {
				seq = max(seq, m.sequence()-1)
			}
		}
		// Nothing more will be sent to them: a higher SEQUENCE makes
		// sure their client takes this over what it has.
		return []message{cancelAll(vO, seq+1, now)}
	case vO == nil:
		return []message{{method: MethodRequest, comps: cleanAll(vN.comps(), now)}}
	}
	var out []message
	removed := removedInstances(vO, vN)
	if len(removed) > 0 {
		seq := 0
		if vN.master != nil {
			seq = compSequence(vN.master)
		} else if len(vN.order) > 0 {
			seq = compSequence(vN.overrides[vN.order[0]])
		}
		out = append(out, cancelInstances(vO, vN, removed, seq, now))
	}
	if !changed(vO, vN, removed) && !forced(new, match) {
		return out
	}
	if added, ok := addOnly(vO, vN); ok {
		return append(out, message{method: MethodAdd, comps: cleanAll(added, now)})
	}
	return append(out, message{method: MethodRequest, comps: cleanAll(vN.comps(), now)})
}

func compSequence(n *aical.Node) int { return (&comp{node: n}).sequence() }

// removedInstances returns the keys, in order, of the instances the
// attendee had in vO and has no more in vN: overrides of theirs that are
// neither overrides of theirs nor instances of their master now, and
// instances their master newly excludes.
func removedInstances(vO, vN *view) []string {
	covered := func(rid string) bool {
		if _, ok := vN.overrides[rid]; ok {
			return true
		}
		if vN.master == nil {
			return false
		}
		_, ex := vN.exdates[rid]
		return !ex
	}
	var out []string
	for _, rid := range vO.order {
		if !covered(rid) {
			out = append(out, rid)
		}
	}
	if vO.master != nil && vN.master != nil {
		var keys []string
		for rid := range vN.exdates {
			if _, was := vO.exdates[rid]; !was && !slices.Contains(out, rid) {
				if _, ov := vO.overrides[rid]; !ov {
					keys = append(keys, rid)
				}
			}
		}
		slices.Sort(keys)
		out = append(out, keys...)
	}
	return out
}

// changed reports a change of vN over vO that the attendee must hear
// about, other than the instances removed (which a CANCEL tells).
func changed(vO, vN *view, removed []string) bool {
	sig := func(n *aical.Node) string {
		if n == nil {
			return ""
		}
		return signature(n, propExDate)
	}
	if sig(vO.master) != sig(vN.master) {
		return true
	}
	if vN.master != nil {
		for rid := range vO.exdates {
			if _, still := vN.exdates[rid]; !still {
				return true // an instance comes back
			}
		}
	}
	for _, rid := range vN.order {
		o, ok := vO.overrides[rid]
		if !ok || signature(o) != signature(vN.overrides[rid]) {
			return true
		}
	}
	for _, rid := range vO.order {
		if _, ok := vN.overrides[rid]; !ok && !slices.Contains(removed, rid) {
			return true // the instance is back to the master's time
		}
	}
	return false
}

// addOnly reports a change that only adds instances to an attendee
// invited to instances alone (no master in either view), returning
// them: iTIP's ADD (RFC 5546 3.2.4).
func addOnly(vO, vN *view) ([]*aical.Node, bool) {
	if vO.master != nil || vN.master != nil || len(vN.order) <= len(vO.order) {
		return nil, false
	}
	for _, rid := range vO.order {
		n, ok := vN.overrides[rid]
		if !ok || signature(n) != signature(vO.overrides[rid]) {
			return nil, false
		}
	}
	var added []*aical.Node
	for _, rid := range vN.order {
		if _, ok := vO.overrides[rid]; !ok {
			added = append(added, vN.overrides[rid])
		}
	}
	return added, true
}

// cancelAll is the CANCEL of everything in v: the master cancels the
// whole event, or else each instance.
func cancelAll(v *view, seq int, now time.Time) message {
	var comps []*aical.Node
	if v.master != nil {
		comps = []*aical.Node{cancelled(v.master, nil, seq, now)}
	} else {
		for _, rid := range v.order {
			comps = append(comps, cancelled(v.overrides[rid], nil, seq, now))
		}
	}
	return message{method: MethodCancel, comps: comps}
}

// cancelInstances is the CANCEL of the instances rids that the
// attendee had in vO and lost in vN: their overrides in vO, or vO's
// master made into the instance the new EXDATE names.
func cancelInstances(vO, vN *view, rids []string, seq int, now time.Time) message {
	var comps []*aical.Node
	for _, rid := range rids {
		if n, ok := vO.overrides[rid]; ok {
			comps = append(comps, cancelled(n, nil, seq, now))
			continue
		}
		p, ok := vN.exdates[rid]
		if !ok || vO.master == nil {
			continue
		}
		r := ridOf(p)
		comps = append(comps, cancelled(vO.master, &r, seq, now))
	}
	return message{method: MethodCancel, comps: comps}
}

// cancelled copies n as the component of a CANCEL: STATUS:CANCELLED,
// SEQUENCE seq, and when rid is set the instance rid of master n.
func cancelled(n *aical.Node, rid *ical.Prop, seq int, now time.Time) *aical.Node {
	c := cleaned(n, now)
	if rid != nil {
		instanceOf(c, *rid)
		dropLines(c, propDTEnd, propDuration)
	}
	setLine(c, ical.Prop{Name: propStatus, Params: ical.Params{}, Value: "CANCELLED"})
	setLine(c, ical.Prop{Name: propSequence, Params: ical.Params{}, Value: strconv.Itoa(seq)})
	return c
}

// instanceOf makes master copy c the instance rid: no recurrence, a
// RECURRENCE-ID, and DTSTART at the instance.
func instanceOf(c *aical.Node, rid ical.Prop) {
	dropLines(c, "RRULE", "RDATE", propExDate, "EXRULE", propRecurrenceID)
	r := ridOf(rid)
	delete(r.Params, paramRange)
	setLine(c, r)
	start := ical.Prop{Name: propDTStart, Params: cloneParams(r.Params), Value: r.Value}
	setLine(c, start)
}

// cleanAll is cleaned for each node.
func cleanAll(nodes []*aical.Node, now time.Time) []*aical.Node {
	out := make([]*aical.Node, len(nodes))
	for i, n := range nodes {
		out[i] = cleaned(n, now)
	}
	return out
}

// cleaned copies component n for an iTIP message: no alarms (the
// sender's own), no scheduling parameters (RFC 6638 7: they are between
// a client and its server), and DTSTAMP the time of the message (RFC
// 5546 3.2).
func cleaned(n *aical.Node, now time.Time) *aical.Node {
	c := cloneNode(n)
	c.Children = slices.DeleteFunc(c.Children, func(ch *aical.Node) bool { return ch.Name == compAlarm })
	for i := range c.Lines {
		switch c.Lines[i].Prop.Name {
		case propAttendee, propOrganizer:
			for _, p := range []string{paramScheduleStat, paramScheduleAgent, paramForceSend} {
				setParam(c, i, p, "")
			}
		}
	}
	setLine(c, ical.Prop{Name: propDTStamp, Params: ical.Params{}, Value: stamp(now)})
	return c
}

// planReply decides the REPLY an attendee's write sends (RFC 6638
// 3.2.2): for each instance whose PARTSTAT changed (an override added
// with a new one included), each instance the attendee excluded with an
// EXDATE (declined), and on delete (new nil) the whole event or the
// instances they had, declined. me matches the attendee's addresses.
// Nothing is sent about an event the organizer cancelled, nor when the
// ORGANIZER's SCHEDULE-AGENT is CLIENT or NONE.
func planReply(old, new *object, me func(string) bool, now time.Time) []*aical.Node {
	src := new
	if src == nil {
		src = old
	}
	if src == nil {
		return nil
	}
	for _, c := range src.comps {
		if o, ok := c.organizer(); ok && c.agent(o.line) != agentServer {
			return nil
		}
	}
	var out []*aical.Node
	if new == nil {
		if m := old.master(); m != nil && m.cancelled() {
			return nil
		}
		for _, c := range old.comps {
			if old.master() != nil && c.rid != "" {
				continue // declining the master declines them all
			}
			if a, ok := c.find(me); ok && c.partstat(a.line) != partDeclined && !c.cancelled() {
				out = append(out, replyComp(c.node, a.line, partDeclined, nil, now))
			}
		}
		return out
	}
	for _, c := range new.comps {
		a, ok := c.find(me)
		if !ok {
			continue
		}
		ps := c.partstat(a.line)
		prev := partNeedsAction
		if old != nil {
			oc := old.byRID(c.rid)
			if oc == nil {
				oc = old.master()
			}
			if oc != nil {
				if oa, ok := oc.find(me); ok {
					prev = oc.partstat(oa.line)
				}
			}
		}
		if ps != prev {
			out = append(out, replyComp(c.node, a.line, ps, nil, now))
		}
	}
	if old == nil {
		return out
	}
	om, nm := old.master(), new.master()
	if om == nil || nm == nil {
		return out
	}
	a, ok := nm.find(me)
	if !ok {
		return out
	}
	before := old.exdates(om)
	var keys []string
	after := new.exdates(nm)
	for k := range after {
		if _, was := before[k]; !was && new.byRID(k) == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		rid := ridOf(after[k])
		out = append(out, replyComp(nm.node, a.line, partDeclined, &rid, now))
	}
	return out
}

// replyComp is the component of a REPLY (RFC 5546 3.2.3): the event's
// identity, the organizer, and only the replying attendee with their
// PARTSTAT; for rid, the instance rid of master n.
func replyComp(n *aical.Node, line int, partstat string, rid *ical.Prop, now time.Time) *aical.Node {
	c := &aical.Node{Name: n.Name}
	keep := func(name string) {
		if i := lineIndex(n, name); i >= 0 {
			c.Lines = append(c.Lines, n.Lines[i])
		}
	}
	keep(propUID)
	c.Lines = append(c.Lines, aical.NewLine(ical.Prop{Name: propDTStamp, Params: ical.Params{}, Value: stamp(now)}))
	keep(propSequence)
	if rid != nil {
		r := ridOf(*rid)
		delete(r.Params, paramRange)
		c.Lines = append(c.Lines, aical.NewLine(r),
			aical.NewLine(ical.Prop{Name: propDTStart, Params: cloneParams(r.Params), Value: r.Value}))
	} else {
		keep(propRecurrenceID)
		keep(propDTStart)
	}
	keep(propSummary)
	keep(propOrganizer)
	att := n.Lines[line].Prop
	att.Params = cloneParams(att.Params)
	for _, p := range []string{paramScheduleStat, paramScheduleAgent, paramForceSend, paramRSVP} {
		delete(att.Params, p)
	}
	att.Params[paramPartStat] = []string{partstat}
	c.Lines = append(c.Lines, aical.NewLine(att))
	for i := range c.Lines {
		if c.Lines[i].Prop.Name == propOrganizer {
			for _, p := range []string{paramScheduleStat, paramScheduleAgent, paramForceSend} {
				setParam(c, i, p, "")
			}
		}
	}
	return c
}

// personal carries what is the attendee's own from their copy's
// component to the organizer's new version of it: alarms and
// transparency.
func personal(from, into *aical.Node) {
	into.Children = slices.DeleteFunc(into.Children, func(ch *aical.Node) bool { return ch.Name == compAlarm })
	for _, ch := range from.Children {
		if ch.Name == compAlarm {
			into.Children = append(into.Children, cloneNode(ch))
		}
	}
	if i := lineIndex(from, propTransp); i >= 0 {
		setLine(into, from.Lines[i].Prop)
	}
}

// timezonesOf merges the timezones of msg and copy, msg's first, each
// TZID once.
func timezonesOf(msg, copy *object) []*aical.Node {
	var out []*aical.Node
	seen := map[string]bool{}
	for _, o := range []*object{msg, copy} {
		if o == nil {
			continue
		}
		for _, n := range o.timezones() {
			id := value(n, paramTZID)
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, n)
		}
	}
	return out
}

// applyRequest is an attendee's copy after a REQUEST (or ADD, which only
// adds instances) from the organizer (RFC 5546 3.2.2, 3.2.4): a message
// with the master replaces the whole event, one with instances only
// replaces or adds those. The attendee's alarms and transparency stay.
// copy nil makes a new copy.
func applyRequest(copy, msg *object) []byte {
	var out []*aical.Node
	take := func(mc *comp, mine *comp) *aical.Node {
		n := cloneNode(mc.node)
		if mine != nil {
			personal(mine.node, n)
		}
		return n
	}
	mineFor := func(rid string) *comp {
		if copy == nil {
			return nil
		}
		if c := copy.byRID(rid); c != nil {
			return c
		}
		return copy.master()
	}
	switch {
	case copy == nil || msg.master() != nil && msg.method != MethodAdd:
		for _, mc := range msg.comps {
			out = append(out, take(mc, mineFor(mc.rid)))
		}
	default:
		for _, cc := range copy.comps {
			if mc := msg.byRID(cc.rid); mc != nil && cc.rid != "" {
				out = append(out, take(mc, cc))
			} else {
				out = append(out, cloneNode(cc.node))
			}
		}
		for _, mc := range msg.comps {
			if mc.rid != "" && copy.byRID(mc.rid) == nil {
				out = append(out, take(mc, copy.master()))
			}
		}
	}
	return calendar("", timezonesOf(msg, copy), out)
}

// applyCancel is an attendee's copy after a CANCEL (RFC 5546 3.2.5): a
// message about the master cancels every component (STATUS:CANCELLED,
// kept so that the attendee sees what happened); one about instances
// excludes them from the master with an EXDATE, or marks an override
// of an instance-only copy cancelled.
func applyCancel(copy, msg *object) []byte {
	if msg.master() != nil {
		seq := msg.master().sequence()
		for _, c := range copy.comps {
			setLine(c.node, ical.Prop{Name: propStatus, Params: ical.Params{}, Value: "CANCELLED"})
			if seq > c.sequence() {
				setLine(c.node, ical.Prop{Name: propSequence, Params: ical.Params{}, Value: strconv.Itoa(seq)})
			}
		}
		return copy.encode()
	}
	m := copy.master()
	for _, mc := range msg.comps {
		i := lineIndex(mc.node, propRecurrenceID)
		if i < 0 {
			continue
		}
		if m != nil {
			if _, ex := copy.exdates(m)[mc.rid]; !ex {
				m.node.Lines = append(m.node.Lines, aical.NewLine(exdateOf(mc.node.Lines[i].Prop)))
			}
			if o := copy.byRID(mc.rid); o != nil {
				copy.root.Children = slices.DeleteFunc(copy.root.Children, func(n *aical.Node) bool { return n == o.node })
				copy.comps = slices.DeleteFunc(copy.comps, func(c *comp) bool { return c == o })
			}
			continue
		}
		if o := copy.byRID(mc.rid); o != nil {
			setLine(o.node, ical.Prop{Name: propStatus, Params: ical.Params{}, Value: "CANCELLED"})
		}
	}
	return copy.encode()
}

// applyReply records a REPLY in the organizer's copy (RFC 5546 3.2.3):
// for each instance replied to, the attendee's PARTSTAT, and
// SCHEDULE-STATUS 2.0 (RFC 6638 3.2.9: the reply arrived). A reply about
// an instance that has no override gets one, made from the master, so
// that a single-instance answer stays single. Lines of attendees the
// copy does not name are ignored (RFC 5546 calls them party crashers);
// applied counts the instances changed.
func applyReply(org, reply *object, attendee func(string) bool) (applied int) {
	for _, rc := range reply.comps {
		ra, ok := rc.find(attendee)
		if !ok {
			continue
		}
		ps := rc.param(ra.line, paramPartStat)
		if ps == "" {
			continue
		}
		target := org.byRID(rc.rid)
		if target == nil {
			target = org.override(rc)
		}
		if target == nil {
			continue
		}
		a, ok := target.find(attendee)
		if !ok {
			continue
		}
		setParam(target.node, a.line, paramPartStat, ps)
		setParam(target.node, a.line, paramScheduleStat, "2.0")
		applied++
	}
	return applied
}

// override makes an override of the organizer's master for the instance
// a reply component names, nil when there is no master or the instance
// is excluded.
func (o *object) override(rc *comp) *comp {
	m := o.master()
	i := lineIndex(rc.node, propRecurrenceID)
	if m == nil || i < 0 {
		return nil
	}
	if _, ex := o.exdates(m)[rc.rid]; ex {
		return nil
	}
	n := cloneNode(m.node)
	var length time.Duration
	hasLength := false
	if s, e := lineIndex(m.node, propDTStart), lineIndex(m.node, propDTEnd); s >= 0 && e >= 0 {
		st, _, err1 := o.zones.DateTime(&m.node.Lines[s].Prop, time.UTC)
		et, _, err2 := o.zones.DateTime(&m.node.Lines[e].Prop, time.UTC)
		if err1 == nil && err2 == nil {
			length, hasLength = et.Sub(st), true
		}
	}
	instanceOf(n, rc.node.Lines[i].Prop)
	if hasLength {
		dropLines(n, propDTEnd)
		setLine(n, ical.Prop{Name: propDuration, Params: ical.Params{}, Value: formatDuration(length)})
	}
	c := &comp{node: n, rid: rc.rid}
	at := slices.Index(o.root.Children, o.comps[len(o.comps)-1].node) + 1
	o.root.Children = slices.Insert(o.root.Children, at, n)
	o.comps = append(o.comps, c)
	return c
}

// keepReplies is what If-Schedule-Tag-Match asks of a write (RFC 6638
// 3.2.10): the client wrote over a version whose only changes since its
// schedule tag are replies merged by the server, so the stored PARTSTAT
// and SCHEDULE-STATUS of every attendee but the writer's own addresses
// win over the client's stale ones. An instance whose timing the write
// changes is a reschedule: the writer's states stand there.
func keepReplies(new, stored *object, self func(string) bool) {
	for _, c := range new.comps {
		sc := stored.byRID(c.rid)
		if sc == nil || timing(c.node) != timing(sc.node) {
			continue
		}
		for _, a := range c.attendees() {
			if self(a.addr) {
				continue
			}
			sa, ok := sc.find(func(x string) bool { return x == a.addr })
			if !ok {
				continue
			}
			for _, p := range []string{paramPartStat, paramScheduleStat} {
				setParam(c.node, a.line, p, sc.node.Lines[sa.line].Prop.Params.Get(p))
			}
		}
	}
}

// setStatus sets SCHEDULE-STATUS on every line of the attendee match
// accepts, in every component (RFC 6638 3.2.9).
func setStatus(o *object, match func(string) bool, status string) {
	for _, c := range o.comps {
		for _, a := range c.attendees() {
			if match(a.addr) {
				setParam(c.node, a.line, paramScheduleStat, status)
			}
		}
	}
}

// setOrganizerStatus sets SCHEDULE-STATUS on the ORGANIZER of every
// component: the outcome of an attendee's reply (RFC 6638 3.2.2).
func setOrganizerStatus(o *object, status string) {
	for _, c := range o.comps {
		if p, ok := c.organizer(); ok {
			setParam(c.node, p.line, paramScheduleStat, status)
		}
	}
}

// dropForceSend removes SCHEDULE-FORCE-SEND (RFC 6638 7.2): a request
// for one write, not something to store.
func dropForceSend(o *object) {
	for _, c := range o.comps {
		for i := range c.node.Lines {
			switch c.node.Lines[i].Prop.Name {
			case propAttendee, propOrganizer:
				setParam(c.node, i, paramForceSend, "")
			}
		}
	}
}
