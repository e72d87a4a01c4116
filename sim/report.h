/* One line of the simulated system's state, computed from memory the way the query feeds define
 * the metrics: for the dry run (calibration) and the simulator's progress log. */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stddef.h>

#include "world.h"

void report_line(const struct world *w, char *buf, size_t size);

#endif
