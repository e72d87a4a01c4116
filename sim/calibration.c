/* The calibration tables; what each holds and where it came from is in calibration.h. */
#include "calibration.h"

const double cal_month_factor[12] = {
	0.976, 0.989, 1.012, 0.976, 1.031, 1.021, 1.034, 0.957, 1.001, 1.007, 1.010, 0.985,
};

const double cal_weekday_ed[7] = {1.085, 0.988, 0.984, 0.982, 0.987, 0.987, 0.987};

const double cal_hour_ed[24] = {
	0.55, 0.45, 0.38, 0.33, 0.30, 0.32, 0.45, 0.70, 1.05, 1.35, 1.50, 1.52,
	1.48, 1.42, 1.38, 1.35, 1.32, 1.30, 1.28, 1.20, 1.08, 0.95, 0.82, 0.68,
};

const double cal_hour_discharge[24] = {
	0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 1.0, 2.0, 3.5, 5.0,
	6.5, 7.5, 8.5, 9.0, 9.0, 8.5, 7.5, 6.0, 5.0, 4.0, 2.6, 1.8,
};

const double cal_weekday_discharge[7] = {0.889, 1.114, 1.148, 1.157, 1.249, 0.844, 0.599};

const double cal_category_mix[4] = {0.0947, 0.6257, 0.2569, 0.0227};

const double cal_response_mean_s[4] = {426, 1320, 3954, 4791};

const double cal_response_p90_s[4] = {747, 2702, 9422, 11027};

const double cal_response_winter_mean_s[4] = {455, 1688, 5476, 5919};

const double cal_hour_111[24] = {
	0.75, 0.55, 0.40, 0.32, 0.30, 0.35, 0.55, 0.95, 1.45, 1.55, 1.40, 1.25,
	1.15, 1.10, 1.05, 1.05, 1.10, 1.30, 1.50, 1.55, 1.45, 1.25, 1.05, 0.88,
};

const double cal_weekday_111[7] = {0.85, 0.8, 0.8, 0.8, 0.9, 1.45, 1.4};
