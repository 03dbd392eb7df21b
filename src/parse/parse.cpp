#include "feedd/parse/parse.hpp"
