#include "model.h"

#include <string.h>

static const struct model *const models[] = {
	&acute_model, &ambulance_model, &iuc_model, &community_model, &mhealth_model,
};

const struct model *model_find(const char *name)
{
	if (strcmp(name, "nhs111") == 0)
		name = "111";
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (strcmp(models[i]->kind, name) == 0)
			return models[i];
	return NULL;
}

const struct model *model_at(size_t i)
{
	return i < sizeof models / sizeof models[0] ? models[i] : NULL;
}
