package capool

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"slices"
	"unicode/utf8"
)

// SubjectHash returns OpenSSL's subject name hash of cert, the number
// `openssl x509 -hash -noout` prints and the <hash> in a hashed capath
// directory's <hash>.<n> file names (OpenSSL's X509_NAME_hash_ex, SHA-1
// based, used since OpenSSL 1.0.0).
//
// The hash is taken over OpenSSL's canonical form of the name: every string
// attribute (PrintableString, UTF8String, BMPString, UniversalString,
// IA5String, T61String, VisibleString) is converted to UTF-8, leading and
// trailing white space is removed, inner runs of white space become one
// space, and ASCII letters are lower-cased (other characters are kept as
// they are). Other attribute types keep their encoding. The first four
// bytes of the SHA-1 digest of that form, read as a little-endian number,
// are the hash.
//
// SubjectHash returns 0 for a nil certificate and for a subject OpenSSL
// could not canonicalise either (invalid UTF-8, a malformed name), as
// X509_NAME_hash_ex does.
func SubjectHash(cert *x509.Certificate) uint32 {
	if cert == nil {
		return 0
	}
	h, _ := nameHash(cert.RawSubject)
	return h
}

// nameHash is SubjectHash over the DER of a Name (an RDNSequence).
func nameHash(rawName []byte) (uint32, error) {
	canon, err := canonicalName(rawName)
	if err != nil {
		return 0, err
	}
	sum := sha1.Sum(canon)
	return binary.LittleEndian.Uint32(sum[:4]), nil
}

var errBadName = errors.New("malformed distinguished name")

// canonicalName returns OpenSSL's canonical encoding of a DER Name (see
// x509_name_canon in OpenSSL): the concatenated DER of each relative
// distinguished name's SET, with canonical attribute values, without the
// outer SEQUENCE header. Empty SETs contribute nothing.
func canonicalName(rawName []byte) ([]byte, error) {
	tag, rdns, rest, err := readTLV(rawName)
	if err != nil || len(tag) != 1 || tag[0] != 0x30 || len(rest) != 0 {
		return nil, errBadName
	}
	var out []byte
	for len(rdns) > 0 {
		var set []byte
		tag, set, rdns, err = readTLV(rdns)
		if err != nil || len(tag) != 1 || tag[0] != 0x31 {
			return nil, errBadName
		}
		var avas [][]byte
		for len(set) > 0 {
			var ava []byte
			tag, ava, set, err = readTLV(set)
			if err != nil || len(tag) != 1 || tag[0] != 0x30 {
				return nil, errBadName
			}
			oidTag, oid, valRest, err := readTLV(ava)
			if err != nil || len(oidTag) != 1 || oidTag[0] != 0x06 {
				return nil, errBadName
			}
			valTag, val, after, err := readTLV(valRest)
			if err != nil || len(after) != 0 {
				return nil, errBadName
			}
			body := appendTLV(nil, oidTag, oid)
			if len(valTag) == 1 && canonTags[valTag[0]] {
				s, err := canonString(valTag[0], val)
				if err != nil {
					return nil, err
				}
				body = appendTLV(body, []byte{0x0c}, s)
			} else {
				body = appendTLV(body, valTag, val)
			}
			avas = append(avas, appendTLV(nil, []byte{0x30}, body))
		}
		if len(avas) == 0 {
			continue
		}
		// DER orders the members of a SET OF by their encodings, as
		// OpenSSL's encoder does (shorter first on a common prefix).
		slices.SortFunc(avas, func(a, b []byte) int {
			n := min(len(a), len(b))
			if c := bytes.Compare(a[:n], b[:n]); c != 0 {
				return c
			}
			return len(a) - len(b)
		})
		out = appendTLV(out, []byte{0x31}, bytes.Join(avas, nil))
	}
	return out, nil
}

// canonTags are the universal, primitive string tags OpenSSL canonicalises
// (its ASN1_MASK_CANON): UTF8String, PrintableString, T61String, IA5String,
// VisibleString, UniversalString and BMPString. NumericString and the rest
// are kept as they are.
var canonTags = map[byte]bool{0x0c: true, 0x13: true, 0x14: true, 0x16: true, 0x1a: true, 0x1c: true, 0x1e: true}

var errBadString = errors.New("attribute value is not a valid string of its type")

// canonString converts a string value to UTF-8 as OpenSSL's
// ASN1_STRING_to_UTF8 does (one-byte types are read as Latin-1, BMPString as
// UCS-2, UniversalString as UCS-4), then folds it as asn1_string_canon does.
func canonString(tag byte, val []byte) ([]byte, error) {
	var u []byte
	switch tag {
	case 0x0c: // UTF8String
		if !utf8.Valid(val) {
			return nil, errBadString
		}
		u = val
	case 0x1e: // BMPString
		if len(val)%2 != 0 {
			return nil, errBadString
		}
		for i := 0; i < len(val); i += 2 {
			r := rune(binary.BigEndian.Uint16(val[i:]))
			if !utf8.ValidRune(r) {
				return nil, errBadString
			}
			u = utf8.AppendRune(u, r)
		}
	case 0x1c: // UniversalString
		if len(val)%4 != 0 {
			return nil, errBadString
		}
		for i := 0; i < len(val); i += 4 {
			v := binary.BigEndian.Uint32(val[i:])
			if v > utf8.MaxRune || !utf8.ValidRune(rune(v)) {
				return nil, errBadString
			}
			u = utf8.AppendRune(u, rune(v))
		}
	default: // one byte per character
		for _, c := range val {
			u = utf8.AppendRune(u, rune(c))
		}
	}
	// Trim, fold runs of white space, lower-case ASCII. Only ASCII bytes
	// are touched; bytes of multi-byte UTF-8 sequences are copied.
	i, j := 0, len(u)
	for i < j && isSpace(u[i]) {
		i++
	}
	for j > i && isSpace(u[j-1]) {
		j--
	}
	out := make([]byte, 0, j-i)
	for k := i; k < j; {
		c := u[k]
		switch {
		case isSpace(c):
			out = append(out, ' ')
			for k < j && isSpace(u[k]) {
				k++
			}
			continue
		case 'A' <= c && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
		k++
	}
	return out, nil
}

// isSpace is the C locale's isspace, as OpenSSL's ossl_isspace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// readTLV splits one DER element off data: its tag bytes, its contents and
// what follows. Only definite lengths are accepted.
func readTLV(data []byte) (tag, content, rest []byte, err error) {
	if len(data) < 2 {
		return nil, nil, nil, errBadName
	}
	n := 1
	if data[0]&0x1f == 0x1f { // high tag number form
		for {
			if n >= len(data) || n > 5 {
				return nil, nil, nil, errBadName
			}
			b := data[n]
			n++
			if b&0x80 == 0 {
				break
			}
		}
	}
	tag = data[:n]
	if n >= len(data) {
		return nil, nil, nil, errBadName
	}
	l := int(data[n])
	n++
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 4 || n+k > len(data) {
			return nil, nil, nil, errBadName
		}
		l = 0
		for _, b := range data[n : n+k] {
			l = l<<8 | int(b)
		}
		n += k
	}
	if l < 0 || l > len(data)-n {
		return nil, nil, nil, errBadName
	}
	return tag, data[n : n+l], data[n+l:], nil
}

// appendTLV appends a DER element with a minimal length encoding.
func appendTLV(dst, tag, content []byte) []byte {
	dst = append(dst, tag...)
	l := len(content)
	switch {
	case l < 0x80:
		dst = append(dst, byte(l))
	case l < 0x100:
		dst = append(dst, 0x81, byte(l))
	case l < 0x10000:
		dst = append(dst, 0x82, byte(l>>8), byte(l))
	case l < 0x1000000:
		dst = append(dst, 0x83, byte(l>>16), byte(l>>8), byte(l))
	default:
		dst = append(dst, 0x84, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	return append(dst, content...)
}
