package yjs

// head is the part of a stored block's encoding before its content.
type head struct {
	info         byte
	origin       ID
	right        ID
	parent       ID
	parentIsName bool
	contentAt    int // offset of the content (for GC: of the length)
}

func (h *head) ref() uint8 { return h.info & infoRefMask }

func (h *head) isItem() bool { return h.ref() != RefGC && h.ref() != RefSkip }

// parseHead reads the head of a block encoding the store wrote itself; the encoding was
// validated when the block was made, so errors cannot happen and are not reported.
func parseHead(enc []byte) head {
	d := decoder{buf: enc}
	var h head
	h.info, _ = d.readUint8()
	if !h.isItem() {
		h.contentAt = d.pos
		return h
	}
	if h.info&InfoOrigin != 0 {
		h.origin, _ = d.readID()
	}
	if h.info&InfoRightOrigin != 0 {
		h.right, _ = d.readID()
	}
	if h.info&(InfoOrigin|InfoRightOrigin) == 0 {
		kind, _ := d.readVarUint()
		h.parentIsName = kind == 1
		if h.parentIsName {
			n, _ := d.readVarUint()
			_, _ = d.readN(n)
		} else {
			h.parent, _ = d.readID()
		}
		if h.info&InfoParentSub != 0 {
			n, _ := d.readVarUint()
			_, _ = d.readN(n)
		}
	}
	h.contentAt = d.pos
	return h
}

// decodeBlock turns a stored block back into a Struct.
func decodeBlock(clientID uint64, b *block) (Struct, error) {
	d := decoder{buf: b.enc}
	return d.readStruct(clientID, b.clock)
}

// mergeable reports whether piece p can extend the block with head h, as yjs's
// Item.mergeWith and GC.mergeWith allow: same kind of content, p's origin is the block's
// last unit and both share the right origin.
func mergeable(h *head, clientID, blockEnd uint64, p *Struct) bool {
	if h.ref() != p.Ref() {
		return false
	}
	if h.ref() == RefGC {
		return true
	}
	if !countable(h.ref()) || !p.HasOrigin() || p.Origin != (ID{clientID, blockEnd - 1}) {
		return false
	}
	hasRight := h.info&InfoRightOrigin != 0
	return hasRight == p.HasRightOrigin() && (!hasRight || h.right == p.RightOrigin)
}

// tryMerge appends piece p to c.ints[i] (inInts) or c.pend[i] when yjs would merge them.
// The count at the start of the block's content grows; the content bytes of p are
// appended.
func (s *Store) tryMerge(c *client, inInts bool, i int, p *Struct) bool {
	var b, next *block
	if inInts {
		b = &c.ints[i]
		if len(c.pend) > 0 {
			next = &c.pend[0]
		}
	} else {
		b = &c.pend[i]
		if i+1 < len(c.pend) {
			next = &c.pend[i+1]
		}
	}
	h := parseHead(b.enc)
	if !mergeable(&h, c.id, b.end(), p) {
		return false
	}
	_, w := readCount(b.enc[h.contentAt:])
	op := undoOp{kind: opMergeBlock, c: c, idx: i, inInts: inInts, old: *b, prefN: w,
		prefAt: h.contentAt}
	copy(op.prefix[:], b.enc[h.contentAt:h.contentAt+w])
	s.txn.ops = append(s.txn.ops, op)
	enc := joined(b, &h, p)
	newEnd := b.end() + p.Length
	if next != nil {
		c.removeGap(next.clock - b.end())
		c.addGap(next.clock - newEnd)
	}
	c.encBytes += len(enc) - len(b.enc)
	if !inInts {
		c.pendBytes += len(enc) - len(b.enc)
	}
	b.length += p.Length
	b.enc = enc
	if inInts { // the block is integrated, so the piece is too
		s.integrated(p)
		s.advance(c, newEnd)
	}
	return true
}

// joined returns the encoding of block b (head h) extended by piece p, which yjs would
// merge into it: the count that starts the content grows and p's content bytes follow.
// When the count keeps its width it is rewritten in place, so a caller that may need
// the old encoding back saves those bytes first.
func joined(b *block, h *head, p *Struct) []byte {
	count, w := readCount(b.enc[h.contentAt:])
	addCount, body := p.Length, mergeBody(p)
	if h.ref() == RefString {
		addCount = uint64(len(p.Content.data))
	}
	newCount := count + addCount
	if varUintLen(newCount) == w {
		enc := append(b.enc, body...)
		AppendVarUint(enc[h.contentAt:h.contentAt], newCount)
		return enc
	}
	enc := make([]byte, 0, 2*(len(b.enc)+len(body))+8)
	enc = append(enc, b.enc[:h.contentAt]...)
	enc = AppendVarUint(enc, newCount)
	enc = append(enc, b.enc[h.contentAt+w:]...)
	return append(enc, body...)
}

// readCount reads the var-uint that starts a block's mergeable content.
func readCount(b []byte) (uint64, int) {
	v, n, _ := ReadVarUint(b)
	return v, n
}

// mergeBody returns the content bytes of p that follow its count.
func mergeBody(p *Struct) []byte {
	switch p.Ref() {
	case RefString, RefJSON, RefAny:
		return []byte(p.Content.data)
	}
	return nil // GC and Deleted carry only their length
}

func (c *client) addGap(g uint64) {
	n, b := gapCost(g)
	c.nGaps += n
	c.gapBytes += b
}

func (c *client) removeGap(g uint64) {
	n, b := gapCost(g)
	c.nGaps -= n
	c.gapBytes -= b
}
