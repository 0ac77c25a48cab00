// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package logstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Record framing: u32 payload length, u32 CRC-32C, then the payload.
const (
	frameHeader   = 8
	payloadHeader = 16 // timestamp, ingestion time
	recordHeader  = frameHeader + payloadHeader
	// maxPayload bounds a record's payload: far above any event AWS
	// accepts, low enough that a damaged length is recognised.
	maxPayload = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn means a record is cut short or fails its checksum.
var errTorn = errors.New("logstore: torn record")

// appendRecord encodes one event onto buf.
func appendRecord(buf []byte, ts, ingestion int64, msg string) []byte {
	n := payloadHeader + len(msg)
	start := len(buf)
	buf = append(buf, make([]byte, frameHeader+payloadHeader)...)
	buf = append(buf, msg...)
	binary.LittleEndian.PutUint32(buf[start:], uint32(n))
	binary.LittleEndian.PutUint64(buf[start+8:], uint64(ts))
	binary.LittleEndian.PutUint64(buf[start+16:], uint64(ingestion))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+frameHeader:], castagnoli))
	return buf
}

// decodeRecord decodes the record at the start of b and returns its total
// length; errTorn when b holds no complete, intact record.
func decodeRecord(b []byte) (ts, ingestion int64, msg []byte, n int, err error) {
	if len(b) < frameHeader {
		return 0, 0, nil, 0, errTorn
	}
	size := int(binary.LittleEndian.Uint32(b))
	if size < payloadHeader || size > maxPayload || len(b) < frameHeader+size {
		return 0, 0, nil, 0, errTorn
	}
	payload := b[frameHeader : frameHeader+size]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, 0, nil, 0, errTorn
	}
	ts = int64(binary.LittleEndian.Uint64(payload))
	ingestion = int64(binary.LittleEndian.Uint64(payload[8:]))
	return ts, ingestion, payload[payloadHeader:], frameHeader + size, nil
}

// block is one entry of the sparse index: a run of records of one segment.
type block struct {
	Off   int64 `json:"o"` // byte offset of the first record
	End   int64 `json:"e"` // byte offset after the last record
	Seq   int64 `json:"s"` // sequence number of the first record
	N     int64 `json:"n"` // records
	MinTs int64 `json:"a"`
	MaxTs int64 `json:"b"`
	MaxIn int64 `json:"i"` // latest ingestion time
}

func (b *block) add(ts, ingestion int64, size int) {
	if b.N == 0 || ts < b.MinTs {
		b.MinTs = ts
	}
	if b.N == 0 || ts > b.MaxTs {
		b.MaxTs = ts
	}
	b.MaxIn = max(b.MaxIn, ingestion)
	b.N++
	b.End += int64(size)
}

// overlaps reports whether the block may hold events in [start, end).
func (b *block) overlaps(start, end int64) bool { return b.MaxTs >= start && b.MinTs < end }

// segment is one segment file and its blocks. The blocks slice is only
// appended to (under the stream's lock); readers copy it.
type segment struct {
	base   int64 // sequence number of the first record
	path   string
	blocks []block
	size   int64
	sealed bool
	// damaged marks a sealed segment with an unreadable record; only the
	// records before it are indexed.
	damaged bool
}

func (g *segment) next() int64 {
	if len(g.blocks) == 0 {
		return g.base
	}
	l := g.blocks[len(g.blocks)-1]
	return l.Seq + l.N
}

func (g *segment) span() (minTs, maxTs, maxIn int64) {
	minTs, maxTs = math.MaxInt64, math.MinInt64
	for i := range g.blocks {
		minTs = min(minTs, g.blocks[i].MinTs)
		maxTs = max(maxTs, g.blocks[i].MaxTs)
		maxIn = max(maxIn, g.blocks[i].MaxIn)
	}
	return minTs, maxTs, maxIn
}

func segmentName(base int64) string { return fmt.Sprintf("%020d.seg", base) }

func idxPath(segPath string) string { return strings.TrimSuffix(segPath, ".seg") + ".idx" }

// parseSegmentName returns the base sequence number of a segment file name.
func parseSegmentName(name string) (int64, bool) {
	s, ok := strings.CutSuffix(name, ".seg")
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// idxFile is a sealed segment's persisted index.
type idxFile struct {
	Size   int64   `json:"size"`
	Blocks []block `json:"blocks"`
}

// loadSegment opens a segment's index: from its .idx file when sealed and
// intact, else by scanning the file. A scanned segment that ends in a torn
// record is truncated when truncate is set (the active segment).
func loadSegment(path string, base int64, blockBytes int64, truncate bool) (*segment, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	g := &segment{base: base, path: path}
	if b, err := os.ReadFile(idxPath(path)); err == nil {
		var ix idxFile
		if json.Unmarshal(b, &ix) == nil && ix.Size == fi.Size() && validBlocks(ix.Blocks, base, ix.Size) {
			g.blocks, g.size, g.sealed = ix.Blocks, ix.Size, true
			return g, nil
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("logstore: read %s: %w", filepath.Base(path), err)
	}
	off := int64(0)
	seq := base
	for off < int64(len(data)) {
		ts, in, _, n, err := decodeRecord(data[off:])
		if err != nil {
			break
		}
		g.addRecord(seq, off, ts, in, n, blockBytes)
		off += int64(n)
		seq++
	}
	g.size = off
	if off < int64(len(data)) {
		if !truncate {
			// A sealed segment damaged on disk: keep the intact prefix
			// readable rather than refuse to open the store.
			g.sealed, g.damaged = true, true
			return g, nil
		}
		if err := os.Truncate(path, off); err != nil {
			return nil, fmt.Errorf("logstore: truncate torn tail: %w", err)
		}
	}
	return g, nil
}

func validBlocks(bs []block, base, size int64) bool {
	seq, off := base, int64(0)
	for _, b := range bs {
		if b.Seq != seq || b.Off != off || b.End < b.Off || b.N <= 0 {
			return false
		}
		seq, off = b.Seq+b.N, b.End
	}
	return off == size
}

// addRecord indexes a record written at off with sequence number seq.
func (g *segment) addRecord(seq, off, ts, ingestion int64, n int, blockBytes int64) {
	if l := len(g.blocks); l == 0 || g.blocks[l-1].End-g.blocks[l-1].Off >= blockBytes {
		g.blocks = append(g.blocks, block{Off: off, End: off, Seq: seq})
	}
	g.blocks[len(g.blocks)-1].add(ts, ingestion, n)
}

// writeIndex persists a sealed segment's index next to it.
func (g *segment) writeIndex() error {
	b, err := json.Marshal(idxFile{Size: g.size, Blocks: g.blocks})
	if err != nil {
		return err
	}
	tmp := idxPath(g.path) + ".tmp"
	if err := writeFileSync(tmp, b); err != nil {
		return err
	}
	return os.Rename(tmp, idxPath(g.path))
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a directory's entries (new or removed files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// remove deletes the segment's files.
func (g *segment) remove() error {
	err := os.Remove(g.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Remove(idxPath(g.path)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
