/*
 * fuzzopts.c - the sanitizer options every harness runs with unless
 * UBSAN_OPTIONS says otherwise: stop at the first report, except the
 * known undefined behaviour in protobuf-c that ubsan.supp names (only
 * those checks are recoverable, and only in protobuf-c; see the top
 * CMakeLists.txt). The path of ubsan.supp is compiled in, so that a
 * harness run by hand behaves as under tools/fuzz.sh.
 */
const char *__ubsan_default_options(void);

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1:suppressions=" MR_FUZZ_UBSAN_SUPP;
}
