// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package blob

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultTempTTL is how old an abandoned temporary file must be before
// OpenFS removes it.
const DefaultTempTTL = 24 * time.Hour

const (
	tmpDir    = "tmp"
	tmpPrefix = "put-"
	bufSize   = 1 << 20
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// FSConfig configures OpenFS.
type FSConfig struct {
	// Dir is the root of the store, e.g. DATA_DIR/blobs. Required.
	Dir string
	// TempTTL: temporary files older than this are removed at open, left
	// by writers that crashed. Zero means DefaultTempTTL. The grace period
	// protects writers of other processes sharing Dir.
	TempTTL time.Duration
	// NoSync skips fsync; for benchmarks of the rest of the path only.
	NoSync bool
	Logger *slog.Logger
}

// FS is the filesystem Store. It is safe for concurrent use.
type FS struct {
	cfg  FSConfig
	dirs sync.Map // fan-out directories known to exist
}

var _ Store = (*FS)(nil)

// OpenFS creates cfg.Dir if needed and removes stale temporary files.
func OpenFS(cfg FSConfig) (*FS, error) {
	if cfg.Dir == "" {
		return nil, errors.New("blob: FSConfig.Dir is required")
	}
	if cfg.TempTTL <= 0 {
		cfg.TempTTL = DefaultTempTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Join(cfg.Dir, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	s := &FS{cfg: cfg}
	s.removeStaleTemps()
	return s, nil
}

func (s *FS) removeStaleTemps() {
	dir := filepath.Join(s.cfg.Dir, tmpDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		s.cfg.Logger.Warn("blob: list temporary files", "err", err)
		return
	}
	cutoff := time.Now().Add(-s.cfg.TempTTL)
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !strings.HasPrefix(e.Name(), tmpPrefix) || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
			s.cfg.Logger.Info("blob: removed abandoned temporary file", "file", e.Name())
		}
	}
}

// path returns where blob id lives.
func (s *FS) path(id string) string { return filepath.Join(s.cfg.Dir, id[:2], id) }

// Put implements Store.
func (s *FS) Put(ctx context.Context, r io.Reader, opts PutOptions) (Info, error) {
	f, err := os.CreateTemp(filepath.Join(s.cfg.Dir, tmpDir), tmpPrefix+"*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: %w", err)
	}
	info, err := s.fill(ctx, f, r, opts.ContentAddressed || !opts.NoSHA256)
	if err == nil && !s.cfg.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("blob: %w", cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return Info{}, err
	}
	if opts.ContentAddressed {
		info.ID = hex.EncodeToString(info.SHA256[:])
		if _, err := os.Stat(s.path(info.ID)); err == nil {
			_ = os.Remove(f.Name())
			return info, nil
		}
	} else {
		info.ID = newID()
	}
	if err := s.commit(f.Name(), info.ID); err != nil {
		_ = os.Remove(f.Name())
		return Info{}, err
	}
	return info, nil
}

// fill copies r into f while hashing and counting.
func (s *FS) fill(ctx context.Context, f *os.File, r io.Reader, withSHA bool) (Info, error) {
	var info Info
	md := md5.New()
	var sh hash.Hash
	if withSHA {
		sh = sha256.New()
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		if err := ctx.Err(); err != nil {
			return info, fmt.Errorf("blob: put: %w", err)
		}
		n, rerr := fillBuf(r, buf)
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				return info, fmt.Errorf("blob: %w", err)
			}
			md.Write(buf[:n])
			if sh != nil {
				sh.Write(buf[:n])
			}
			info.Size += int64(n)
		}
		switch {
		case rerr == nil:
		case errors.Is(rerr, io.EOF): // not io.ErrUnexpectedEOF: a truncated body fails
			md.Sum(info.MD5[:0])
			if sh != nil {
				sh.Sum(info.SHA256[:0])
			}
			return info, nil
		default:
			return info, fmt.Errorf("blob: put: %w", rerr)
		}
	}
}

// fillBuf reads until buf is full or r fails; unlike io.ReadFull it
// returns the reader's own error, so io.ErrUnexpectedEOF from a truncated
// HTTP body is never mistaken for a clean end.
func fillBuf(r io.Reader, buf []byte) (n int, err error) {
	for n < len(buf) && err == nil {
		var k int
		k, err = r.Read(buf[n:])
		n += k
	}
	return n, err
}

// commit renames the temporary file into place and makes the rename
// durable.
func (s *FS) commit(tmp, id string) error {
	dir := filepath.Join(s.cfg.Dir, id[:2])
	if _, ok := s.dirs.Load(dir); !ok {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("blob: %w", err)
		}
		if err := s.syncDir(s.cfg.Dir); err != nil {
			return err
		}
		s.dirs.Store(dir, true)
	}
	if err := os.Rename(tmp, filepath.Join(dir, id)); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return s.syncDir(dir)
}

func (s *FS) syncDir(dir string) error {
	if s.cfg.NoSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync %s: %w", dir, err)
	}
	return nil
}

// Open implements Store.
func (s *FS) Open(_ context.Context, id string) (Reader, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &File{f: f, size: st.Size()}, nil
}

// Delete implements Store.
func (s *FS) Delete(_ context.Context, id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	err := os.Remove(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// Walk calls fn for every committed blob with its modification time, in
// no particular order, until fn returns an error, which Walk returns. It
// is for sweeps that reclaim blobs no metadata refers to.
func (s *FS) Walk(ctx context.Context, fn func(id string, modTime time.Time) error) error {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	for _, d := range ents {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.cfg.Dir, d.Name()))
		if err != nil {
			return fmt.Errorf("blob: %w", err)
		}
		for _, e := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			info, err := e.Info()
			if err != nil || !validID(e.Name()) {
				continue // removed meanwhile, or not ours
			}
			if err := fn(e.Name(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

// File is the FS Reader: an open blob file.
type File struct {
	f    *os.File
	size int64
}

var _ Reader = (*File)(nil)

// ReadAt implements io.ReaderAt.
func (b *File) ReadAt(p []byte, off int64) (int, error) { return b.f.ReadAt(p, off) }

// Size implements Reader.
func (b *File) Size() int64 { return b.size }

// Close implements io.Closer.
func (b *File) Close() error { return b.f.Close() }

// OSFile returns the open file, for zero-copy transfers (sendfile) by a
// caller that owns this Reader exclusively; the caller may move its
// offset.
func (b *File) OSFile() *os.File { return b.f }

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
