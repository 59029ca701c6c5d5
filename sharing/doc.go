// Package sharing will hold grants between accounts (read, read-write)
// and the public links minted for collections, and evaluate the
// privileges a principal has on a collection. Today every collection is
// visible to its owner only; the sharing issue builds this package.
package sharing
