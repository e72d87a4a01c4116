/* One line per event on stderr: UTC time, program name, message. */
#ifndef SIM_SIMLOG_H
#define SIM_SIMLOG_H

void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
