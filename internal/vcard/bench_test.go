package vcard

import "testing"

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(appleCard)))
	for b.Loop() {
		if _, err := Parse(appleCard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvert_3to4(b *testing.B) {
	b.SetBytes(int64(len(appleCard)))
	for b.Loop() {
		if _, err := Convert(appleCard, Version4); err != nil {
			b.Fatal(err)
		}
	}
}
