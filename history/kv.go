package history

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// KV is a small durable key/value bucket with JSON values, for other
// packages' own state (an alert delivery queue, say). Every Put and Delete is
// its own fsynced transaction, independent of the record writer, so it suits
// low write rates. Keys iterate in byte order. A KV is safe for concurrent
// use and valid until the Store is closed.
type KV struct {
	s    *Store
	name []byte
}

// Bucket returns the KV bucket called name, created on first Put.
func (s *Store) Bucket(name string) KV {
	return KV{s: s, name: []byte(name)}
}

// Put stores v, encoded as JSON, under key.
func (kv KV) Put(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s/%s: %w", kv.name, key, err)
	}
	err = kv.s.update(OpKV, func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketKV).CreateBucketIfNotExists(kv.name)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), data)
	})
	if err != nil {
		return fmt.Errorf("storing %s/%s: %w", kv.name, key, err)
	}
	return nil
}

// Get decodes the value under key into v and reports whether it was there.
func (kv KV) Get(key string, v any) (bool, error) {
	found := false
	err := kv.s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket(kv.name)
		if b == nil {
			return nil
		}
		data := b.Get([]byte(key))
		found = data != nil
		if !found {
			return nil
		}
		return json.Unmarshal(data, v)
	})
	if err != nil {
		return found, fmt.Errorf("reading %s/%s: %w", kv.name, key, err)
	}
	return found, nil
}

// Delete removes key; a missing key is not an error.
func (kv KV) Delete(key string) error {
	err := kv.s.update(OpKV, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketKV).Bucket(kv.name); b != nil {
			return b.Delete([]byte(key))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting %s/%s: %w", kv.name, key, err)
	}
	return nil
}

// ForEach calls fn with every key and its raw JSON value, in key order, inside
// one read transaction; fn must not call Put or Delete on the same store.
// An error from fn stops the iteration and is returned.
func (kv KV) ForEach(fn func(key string, value json.RawMessage) error) error {
	err := kv.s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV).Bucket(kv.name)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			return fn(string(k), bytes.Clone(v))
		})
	})
	if err != nil {
		return fmt.Errorf("iterating %s: %w", kv.name, err)
	}
	return nil
}
