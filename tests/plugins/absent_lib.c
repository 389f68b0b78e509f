/* A library the test deletes after linking needs_missing_lib against it, standing in for a
 * vendor runtime (libcudart, libnvinfer) that is not installed. */
int tg_test_absent_function(void);
int tg_test_absent_function(void) { return 1; }
