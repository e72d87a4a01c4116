/* GET /api/reports/board?from=YYYY-MM-DD&to=YYYY-MM-DD: the board report as a printable HTML
 * page (report.c), from commcell.board_report in the hub (sql/hub/021_board_report.sql). */
#ifndef CC_REPORT_API_H
#define CC_REPORT_API_H

#include "request.h"

/* The longest period one report covers, in days (the hub refuses longer ones too). */
#define CC_REPORT_MAX_DAYS 366

void cc_report_api_board(struct cc_request *r);

#endif
