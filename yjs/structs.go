package yjs

// Info byte flags of an item; the low 5 bits hold the struct ref.
const (
	InfoOrigin      byte = 0x80 // an origin ID follows
	InfoRightOrigin byte = 0x40 // a right-origin ID follows
	InfoParentSub   byte = 0x20 // the item has a map key (written only without origins)
	infoRefMask     byte = 0x1f
)

var (
	errZeroLength = malformed("struct of length zero")
	errClockRange = malformed("clock out of range")
	errSkipInfo   = malformed("skip struct with flag bits")
)

// ID names one clock unit of one client.
type ID struct {
	Client uint64
	Clock  uint64
}

// Struct is one decoded struct of an update: a GC range, a Skip gap, or an item.
//
// TODO: Store.Apply decodes every struct of an update at once (152 bytes each) and adds
// a delta piece and an undo entry per struct, so while it runs an update of 4-byte items
// takes about 365 heap bytes per wire byte (BenchmarkMemory); only the blocks stay.
type Struct struct {
	// ID is the client and clock of the struct's first unit.
	ID ID
	// Length is the number of clock units the struct covers.
	Length uint64
	// Info is the info byte as written: ref in the low 5 bits, flags above. Flags are kept
	// even where they write nothing (InfoParentSub beside an origin).
	Info byte
	// ParentIsName tells, for an item written without origins, whether its parent is a
	// root type named ParentName or the type created by the item ParentID. (It sits
	// beside Info to keep the struct small.)
	ParentIsName bool
	// Origin is the ID of the item to the left at creation (when Info has InfoOrigin).
	Origin ID
	// RightOrigin is the ID of the item to the right (when Info has InfoRightOrigin).
	RightOrigin ID
	ParentName  string
	ParentID    ID
	// ParentSub is the map key, written for an item without origins that has
	// InfoParentSub.
	ParentSub string
	// Content is the payload of an item.
	Content Content
}

// Ref returns the struct ref (RefGC, RefSkip or an item content ref).
func (s *Struct) Ref() uint8 { return s.Info & infoRefMask }

// IsItem reports whether the struct is an item (neither GC nor Skip).
func (s *Struct) IsItem() bool { r := s.Ref(); return r != RefGC && r != RefSkip }

// HasOrigin reports whether an item names a left origin.
func (s *Struct) HasOrigin() bool { return s.Info&InfoOrigin != 0 }

// HasRightOrigin reports whether an item names a right origin.
func (s *Struct) HasRightOrigin() bool { return s.Info&InfoRightOrigin != 0 }

// writesParent reports whether an item carries parent information: only items without
// any origin do; the others inherit their parent from a neighbour.
func (s *Struct) writesParent() bool { return s.Info&(InfoOrigin|InfoRightOrigin) == 0 }

// RootName returns the root type name of an item whose parent is given by name. Decoding
// such an item makes a Y.Doc create that root type.
func (s *Struct) RootName() (string, bool) {
	if s.IsItem() && s.writesParent() && s.ParentIsName {
		return s.ParentName, true
	}
	return "", false
}

// End returns the clock just past the struct.
func (s *Struct) End() uint64 { return s.ID.Clock + s.Length }

// readStruct reads one struct of the given client starting at clock.
func (d *decoder) readStruct(client, clock uint64) (Struct, error) {
	info, err := d.readUint8()
	if err != nil {
		return Struct{}, err
	}
	s := Struct{ID: ID{client, clock}, Info: info}
	switch ref := info & infoRefMask; ref {
	case RefGC, RefSkip:
		if ref == RefSkip && info != RefSkip {
			return Struct{}, errSkipInfo
		}
		s.Length, err = d.readVarUint()
		if err == nil && s.Length == 0 && ref == RefGC {
			err = errZeroLength
		}
	case RefDeleted, RefJSON, RefBinary, RefString, RefEmbed, RefFormat, RefType, RefAny, RefDoc:
		err = d.readItem(&s)
	default:
		return Struct{}, errRef
	}
	if err != nil {
		return Struct{}, err
	}
	if s.Length > maxSafeInteger-clock {
		return Struct{}, errClockRange
	}
	return s, nil
}

// readItem reads the item fields that follow the info byte.
func (d *decoder) readItem(s *Struct) error {
	var err error
	if s.HasOrigin() {
		if s.Origin, err = d.readID(); err != nil {
			return err
		}
	}
	if s.HasRightOrigin() {
		if s.RightOrigin, err = d.readID(); err != nil {
			return err
		}
	}
	if s.writesParent() {
		if err := d.readParent(s); err != nil {
			return err
		}
	}
	s.Content, s.Length, err = d.readContent(s.Ref())
	return err
}

// readParent reads the parent info of an item without origins: a var-uint that is 1 for
// a root type name (anything else means an item ID, as yjs reads it), then the optional
// map key.
func (d *decoder) readParent(s *Struct) error {
	kind, err := d.readVarUint()
	if err != nil {
		return err
	}
	s.ParentIsName = kind == 1
	if s.ParentIsName {
		s.ParentName, err = d.readVarString()
	} else {
		s.ParentID, err = d.readID()
	}
	if err != nil {
		return err
	}
	if s.Info&InfoParentSub != 0 {
		s.ParentSub, err = d.readVarString()
	}
	return err
}

// readID reads a client and a clock.
func (d *decoder) readID() (ID, error) {
	client, err := d.readVarUint()
	if err != nil {
		return ID{}, err
	}
	clock, err := d.readVarUint()
	return ID{client, clock}, err
}

// appendID writes a client and a clock.
func appendID(dst []byte, id ID) []byte {
	dst = AppendVarUint(dst, id.Client)
	return AppendVarUint(dst, id.Clock)
}

// AppendStruct appends the v1 encoding of s (as written inside a client's run).
func AppendStruct(dst []byte, s *Struct) []byte {
	dst = append(dst, s.Info)
	if !s.IsItem() {
		return AppendVarUint(dst, s.Length)
	}
	if s.HasOrigin() {
		dst = appendID(dst, s.Origin)
	}
	if s.HasRightOrigin() {
		dst = appendID(dst, s.RightOrigin)
	}
	if s.writesParent() {
		if s.ParentIsName {
			dst = append(dst, 1)
			dst = AppendVarString(dst, s.ParentName)
		} else {
			dst = append(dst, 0)
			dst = appendID(dst, s.ParentID)
		}
		if s.Info&InfoParentSub != 0 {
			dst = AppendVarString(dst, s.ParentSub)
		}
	}
	return appendContent(dst, s.Ref(), &s.Content)
}

// sliceStruct returns the part of s from clock offset off on (0 < off < s.Length). An
// item's right part gets the unit before it as origin, so it writes no parent info.
func sliceStruct(s Struct, off uint64) Struct {
	r := s
	r.ID.Clock += off
	r.Length -= off
	if s.IsItem() {
		_, r.Content = splitContent(s.Ref(), s.Content, off)
		r.Info |= InfoOrigin
		r.Origin = ID{s.ID.Client, s.ID.Clock + off - 1}
	}
	return r
}

// truncateStruct returns the first n clock units of s (0 < n < s.Length).
func truncateStruct(s Struct, n uint64) Struct {
	l := s
	l.Length = n
	if s.IsItem() {
		l.Content, _ = splitContent(s.Ref(), s.Content, n)
	}
	return l
}

// clipStruct returns the part of s covering clocks [from, to), which must lie inside it.
func clipStruct(s Struct, from, to uint64) Struct {
	if to < s.End() {
		s = truncateStruct(s, to-s.ID.Clock)
	}
	if from > s.ID.Clock {
		s = sliceStruct(s, from-s.ID.Clock)
	}
	return s
}
