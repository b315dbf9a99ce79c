"""One loader per public file: tidy, validated DataFrames."""
