/* `tengen check-backend`: measures how far a backend plugin's network outputs stray from blas-cpu's FP32
 * outputs on the same positions and symmetries (KataGo's `testgpuerror`, for any plugin), prints the
 * 99th-percentile and maximum error of every output as a table on stdout, and passes or fails it
 * against KataGo's FP16 gate or limits given on the command line. */
#ifndef TENGEN_FRONT_CHECK_BACKEND_H
#define TENGEN_FRONT_CHECK_BACKEND_H

/* argv holds the options after the subcommand name (argc of them). Returns the process exit status:
 * 0 within the limits, 1 outside them or a runtime failure (config, model, evaluation), 2 bad command line. */
int tg_check_backend_main(int argc, char **argv);

#endif
