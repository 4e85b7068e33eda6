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

// tryMerge appends piece p to c.blocks[i] when yjs would merge them. The count at the
// start of the block's content grows; the content bytes of p are appended.
func (s *Store) tryMerge(c *client, i int, p *Struct) bool {
	b := &c.blocks[i]
	h := parseHead(b.enc)
	if !mergeable(&h, c.id, b.end(), p) {
		return false
	}
	count, w := readCount(b.enc[h.contentAt:])
	addCount, body := p.Length, mergeBody(p)
	if h.ref() == RefString {
		addCount = uint64(len(p.Content.Text))
	}
	newCount := count + addCount
	old := *b
	s.txn.ops = append(s.txn.ops, undoOp{kind: opMergeBlock, c: c, idx: i, old: old,
		prefix: append([]byte(nil), b.enc[h.contentAt:h.contentAt+w]...), prefAt: h.contentAt})

	var enc []byte
	if varUintLen(newCount) == w {
		enc = append(b.enc, body...)
		AppendVarUint(enc[h.contentAt:h.contentAt], newCount)
	} else {
		enc = make([]byte, 0, 2*(len(b.enc)+len(body))+8)
		enc = append(enc, b.enc[:h.contentAt]...)
		enc = AppendVarUint(enc, newCount)
		enc = append(enc, b.enc[h.contentAt+w:]...)
		enc = append(enc, body...)
	}
	next := b.end() + p.Length
	if i+1 < len(c.blocks) {
		c.removeGap(c.blocks[i+1].clock - b.end())
		c.addGap(c.blocks[i+1].clock - next)
	}
	c.encBytes += len(enc) - len(b.enc)
	if i >= c.nInt {
		c.pendEnc += len(enc) - len(b.enc)
	}
	b.length += p.Length
	b.enc = enc
	if i < c.nInt { // the block is integrated, so the piece is too
		s.advance(c, next)
	}
	return true
}

// readCount reads the var-uint that starts a block's mergeable content.
func readCount(b []byte) (uint64, int) {
	v, n, _ := ReadVarUint(b)
	return v, n
}

// mergeBody returns the content bytes of p that follow its count.
func mergeBody(p *Struct) []byte {
	switch p.Ref() {
	case RefString:
		return []byte(p.Content.Text)
	case RefJSON, RefAny:
		enc := appendContent(nil, p.Ref(), &p.Content)
		_, n := readCount(enc)
		return enc[n:]
	}
	return nil // GC and Deleted carry only their length
}
