/*
 * Rota endpoints: GET /api/rota (managers and admins: teams, people with their contacts but never
 * a contact's secret, shifts from a day ago to a fortnight ahead, escalation policies), and the
 * admin's changes: POST /api/rota/shifts, DELETE /api/rota/shifts/{id}, POST /api/rota/people.
 * Each change and its audit row are one hub statement.
 */
#ifndef CC_ROTA_API_H
#define CC_ROTA_API_H

#include "request.h"

void cc_rota_api_get(struct cc_request *r);
void cc_rota_api_shift_add(struct cc_request *r);
void cc_rota_api_shift_delete(struct cc_request *r);
void cc_rota_api_person_save(struct cc_request *r);

#endif
