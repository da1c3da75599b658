package gohost

import (
	"bytes"
	"errors"
	"fmt"
)

// renameImportModule returns wasm with its function imports module.<field> (for each field in fields)
// re-imported from newModule: only the import section changes (same function indexes and types), so
// nothing else in the module moves. A module without those imports is returned as it is.
func renameImportModule(wasm []byte, module string, fields map[string]bool, newModule string) ([]byte, error) {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	pos := 8
	for pos < len(wasm) {
		id := wasm[pos]
		size, n, err := readU32(wasm, pos+1)
		if err != nil {
			return nil, err
		}
		body := pos + 1 + n
		end := body + int(size)
		if end > len(wasm) {
			return nil, errors.New("section runs past the end")
		}
		if id != 2 {
			pos = end
			continue
		}
		newBody, found, err := rewriteImports(wasm[body:end], module, fields, newModule)
		if err != nil || !found {
			return wasm, err
		}
		out := append([]byte{}, wasm[:pos]...)
		out = append(out, 2)
		out = appendU32(out, uint32(len(newBody)))
		out = append(out, newBody...)
		return append(out, wasm[end:]...), nil
	}
	return wasm, nil
}

func rewriteImports(sec []byte, module string, fields map[string]bool, newModule string) ([]byte, bool, error) {
	count, p, err := readU32(sec, 0)
	if err != nil {
		return nil, false, err
	}
	out := appendU32(nil, count)
	found := false
	for i := uint32(0); i < count; i++ {
		mod, p2, err := readName(sec, p)
		if err != nil {
			return nil, false, err
		}
		name, p3, err := readName(sec, p2)
		if err != nil {
			return nil, false, err
		}
		descEnd, err := skipImportDesc(sec, p3)
		if err != nil {
			return nil, false, err
		}
		if mod == module && fields[name] && sec[p3] == 0 {
			out = appendName(out, newModule)
			found = true
		} else {
			out = appendName(out, mod)
		}
		out = appendName(out, name)
		out = append(out, sec[p3:descEnd]...)
		p = descEnd
	}
	if p != len(sec) {
		return nil, false, errors.New("import section has trailing bytes")
	}
	return out, found, nil
}

// skipImportDesc returns the end of the import descriptor at p (kind byte, then its operands).
func skipImportDesc(b []byte, p int) (int, error) {
	if p >= len(b) {
		return 0, errors.New("truncated import")
	}
	kind := b[p]
	p++
	limits := func(p int) (int, error) {
		if p >= len(b) {
			return 0, errors.New("truncated limits")
		}
		flags := b[p]
		_, n, err := readU32(b, p+1)
		if err != nil {
			return 0, err
		}
		p += 1 + n
		if flags&1 != 0 {
			_, n, err = readU32(b, p)
			if err != nil {
				return 0, err
			}
			p += n
		}
		return p, nil
	}
	switch kind {
	case 0: // function: type index
		_, n, err := readU32(b, p)
		return p + n, err
	case 1: // table: reftype, limits
		return limits(p + 1)
	case 2: // memory: limits
		return limits(p)
	case 3: // global: valtype, mutability
		return p + 2, nil
	default:
		return 0, fmt.Errorf("unknown import kind %d", kind)
	}
}

func readName(b []byte, p int) (string, int, error) {
	n, w, err := readU32(b, p)
	if err != nil {
		return "", 0, err
	}
	start := p + w
	if start+int(n) > len(b) {
		return "", 0, errors.New("name runs past the end")
	}
	return string(b[start : start+int(n)]), start + int(n), nil
}

func appendName(out []byte, s string) []byte {
	return append(appendU32(out, uint32(len(s))), s...)
}

func readU32(b []byte, p int) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if p+i >= len(b) {
			return 0, 0, errors.New("truncated LEB128")
		}
		c := b[p+i]
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 too long")
}

func appendU32(out []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}
