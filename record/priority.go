package record

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// recorderNice is the nice value the recorder asks for while the command
// runs. The recorder uses little CPU, but what it does is time-critical: an
// output line is stamped when the recorder reads it and the memory is read
// when a test's line ends, so on a machine whose CPUs the tests keep busy a
// recorder that waits its turn for a CPU (a few milliseconds under CFS/EEVDF)
// stamps late and reads the next test's memory as the last one's. A lower
// nice value lets it run as soon as it wakes.
const recorderNice = -10

// niceOf returns the nice value of thread tid (0: the calling thread).
// getpriority(2) returns 20 - nice from the raw system call.
func niceOf(tid int) (int, error) {
	p, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return 0, err
	}
	return 20 - p, nil
}

// setRecorderNice sets the nice value of every thread of the recorder. On
// Linux a nice value belongs to a thread, and a thread starts with its
// creator's, so the Go runtime's later threads get it too. It must be called
// after the command was started: the command inherits the value of the
// thread that forked it, and keeps the caller's.
func setRecorderNice(nice int) error {
	names, err := listDir(procRoot+"/self/task", make([]byte, 8192))
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		tid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if err := unix.Setpriority(unix.PRIO_PROCESS, tid, nice); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}
