# TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) with coreutils and
# openssl only. Sourced by e2e/cli.sh and docs/mfa.md.

# totp_step: the current time step.
totp_step() { echo $(($(date +%s) / 30)); }

# totp BASE32-SEED [STEP]: the code for STEP (default: now).
totp() {
	local key counter mac off bin
	key=$(printf %s "$1" | base32 -d | od -An -v -tx1 | tr -d ' \n')
	counter=$(printf '%016x' "${2:-$(totp_step)}")
	mac=$(printf %s "$counter" | sed 's/../\\x&/g' | xargs -0 printf |
		openssl dgst -sha1 -mac HMAC -macopt "hexkey:$key" -r | cut -d' ' -f1)
	off=$((16#${mac:39:1}))
	bin=$(((16#${mac:$((off * 2)):8}) & 0x7fffffff))
	printf '%06d\n' $((bin % 1000000))
}

# totp_wait_fresh: sleep past a step boundary that is less than 3 s away.
totp_wait_fresh() {
	while [ $(($(date +%s) % 30)) -ge 27 ]; do sleep 1; done
}

# totp_wait_next STEP: sleep until the time step is past STEP (a code is
# accepted only once).
totp_wait_next() {
	while [ "$(totp_step)" -le "$1" ]; do sleep 1; done
}
