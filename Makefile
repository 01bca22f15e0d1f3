# Convenience wrappers around ./dev (the README's commands).
.PHONY: demo test bench setup
demo:
	./dev demo
test:
	./dev test
bench:
	./dev bench
setup:
	./dev setup
