package token

// PackedAllowance is the size, in bytes, of the packed session policies and
// tags that PackedPolicySize counts as 100 percent.
//
// AWS does not publish its allowance or its packing. It says only that the
// inline session policy, the policy ARNs and the session tags are compressed
// into a packed binary format with a separate limit, that a request can fail
// it while meeting every plaintext limit (50 tags of 128/256 characters, a
// 2,048-character policy, 10 ARNs), and that typical tokens are under 4,096
// bytes. mantle approximates that with its own packed section, exactly as it
// is sealed into the token: the tags, transitive tag keys, policy ARNs and
// policy, length-prefixed and deflated when that is smaller. 2,048 bytes lets
// a 2,048-character policy through comfortably (JSON deflates to well under
// half), admits a few dozen short tags, and refuses the all-maximal case
// (which AWS warns may fail); and because the measure is the sealed bytes themselves, every
// session the STS layer admits gives a token of about 4 KB at most (4,116
// characters measured with incompressible tags and a 512-character path),
// under the 8 KiB header limit of common proxies.
const PackedAllowance = 2048

// PackedPolicySize returns AWS's PackedPolicySize for a session: the size of
// its packed session policy, policy ARNs and session tags as a percentage of
// PackedAllowance, rounded up so that any content counts as at least 1. It is
// 0 for a session with none. Over 100, the STS layer should refuse the
// request with PackedPolicyTooLarge.
func PackedPolicySize(c *Claims) int {
	if c == nil || c.packedEmpty() {
		return 0
	}
	bp, sp := getBuf(), getBuf()
	defer putBuf(bp)
	defer putBuf(sp)
	b, scratch, _, _ := appendPacked((*bp)[:0], *sp, c)
	*bp, *sp = b, scratch
	// The ErrTooLarge case of appendPacked still measured the raw section,
	// which is far beyond 100 percent.
	return (len(b)*100 + PackedAllowance - 1) / PackedAllowance
}
